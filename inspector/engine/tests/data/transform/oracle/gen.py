"""Regenerates ../vectors.tsv from cases.py with libmodsecurity 3.0.9 as the oracle.

    apt-get install libmodsecurity-dev g++
    g++ -std=c++17 oracle.cc -o /tmp/oracle -lmodsecurity
    python3 gen.py /tmp/oracle > ../vectors.tsv
"""
import subprocess, sys
from cases import S

# Transformation::instantiate() in 3.0.9 spells cmdLine this way.
ORACLE_NAME = {'cmdLine': 'cmd_line'}

def esc(b):
    return ''.join(chr(c) if 0x20 <= c < 0x7f and c != 0x5c else ('\\\\' if c == 0x5c else f'\\x{c:02x}') for c in b)

pairs = [(n, v.encode('latin1')) for n, vs in S.items() for v in vs]
req = ''.join(f"{ORACLE_NAME.get(n, n)}\t{v.hex()}\n" for n, v in pairs)
out = subprocess.run([sys.argv[1]], input=req.encode(), capture_output=True, check=True).stdout.decode().splitlines()
print('# name<TAB>input<TAB>expected; expected values produced by libmodsecurity 3.0.9 (oracle/gen.py)')
for (n, v), line in zip(pairs, out):
    print(f"{n}\t{esc(v)}\t{esc(bytes.fromhex(line.split(chr(9))[1]))}")
