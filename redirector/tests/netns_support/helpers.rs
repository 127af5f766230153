//! The processes a netns test runs inside its namespaces: the test binary itself, re-run
//! through `ip netns exec` with `CW_NETNS_HELPER=<role>` (no unsafe `setns` needed).
//!
//! - `echo:<label>:<port>,<port>`: answers each connection's first line with
//!   `<label> port=<port> peer=<client address>`.
//! - `inspector:<port>:<log>`: the recording test inspector: an `IP_TRANSPARENT` listener
//!   (TPROXY delivers to it) that appends `<original destination> <client>` to `<log>` for each
//!   connection, then relays to the original destination from the client's own address
//!   (the fully transparent variant), so the server's reply is steered back through it.
//!   It also answers `GET /readyz` on port 15021 with 200.
//! - `sidecar:<port>:<mark>:<log>`: the recording test sidecar: a plain listener behind the
//!   pod's `redirect`, which reads `SO_ORIGINAL_DST`, appends `<original destination> <client>`
//!   to `<log>`, and relays from a socket marked `<mark>` (the exclusion the rules expect).
//! - `probe:<ip>:<port>:<timeout ms>`: one connection; prints `RESULT ok <answer>` or
//!   `RESULT err <error kind>`.
//! - `http:<label>:<port>,<port>`: an HTTP/1.1 server answering every request (keep-alive,
//!   bodies ignored) with 200 and `<label> peer=<client address>`, for the real inspector.
//! - `get:<ip>:<port>:<timeout ms>` with the target in `CW_GET_TARGET`: one HTTP GET; prints
//!   `RESULT ok <status> <body>` or `RESULT err <error kind>`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use socket2::{Domain, SockRef, Socket, Type};

/// The environment variable naming the role.
pub const ROLE: &str = "CW_NETNS_HELPER";

/// Runs the role named by `CW_NETNS_HELPER`, if any (it never returns then).
pub fn run_if_asked() {
    let Ok(role) = std::env::var(ROLE) else { return };
    let parts: Vec<&str> = role.split(':').collect();
    match parts.as_slice() {
        ["echo", label, ports] => echo(label, ports),
        ["inspector", port, log] => inspector(port.parse().unwrap(), log),
        ["sidecar", port, mark, log] => sidecar(port.parse().unwrap(), mark.parse().unwrap(), log),
        ["probe", ip, port, ms] => probe(ip, port, ms.parse().unwrap()),
        ["http", label, ports] => super::http::serve(label, ports),
        ["get", ip, port, ms] => super::http::get(ip, port, ms.parse().unwrap()),
        _ => panic!("unknown helper role {role}"),
    }
    std::process::exit(0);
}

fn echo(label: &str, ports: &str) {
    let mut threads = Vec::new();
    for port in ports.split(',') {
        let listener = TcpListener::bind(format!("0.0.0.0:{port}")).unwrap();
        let (label, port) = (label.to_owned(), port.to_owned());
        threads.push(std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let peer = stream.peer_addr().map(|p| p.to_string()).unwrap_or_default();
                let mut line = String::new();
                let _ = BufReader::new(&stream).read_line(&mut line);
                let _ = writeln!(stream, "{label} port={port} peer={peer}");
            }
        }));
    }
    eprintln!("helper echo {label} listening on {ports}");
    threads.into_iter().for_each(|t| _ = t.join());
}

fn inspector(port: u16, log: &str) {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_ip_transparent_v4(true).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket.bind(&SocketAddr::from(([0, 0, 0, 0], port)).into()).unwrap();
    socket.listen(128).unwrap();
    let listener: TcpListener = socket.into();
    let readyz = TcpListener::bind("0.0.0.0:15021").unwrap();
    std::thread::spawn(move || {
        for mut probe in readyz.incoming().flatten() {
            let mut line = String::new();
            let _ = BufReader::new(&probe).read_line(&mut line);
            let _ = probe.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    eprintln!("helper inspector listening on {port}, /readyz on 15021");
    for client in listener.incoming().flatten() {
        let log = log.to_owned();
        std::thread::spawn(move || relay(client, &log));
    }
}

fn relay(client: TcpStream, log: &str) {
    let (Ok(original), Ok(peer)) = (client.local_addr(), client.peer_addr()) else { return };
    let line = format!("{original} {peer}\n");
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
    file.write_all(line.as_bytes()).unwrap();
    let upstream = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    upstream.set_ip_transparent_v4(true).unwrap();
    upstream.bind(&SocketAddr::new(peer.ip(), 0).into()).unwrap();
    if upstream.connect_timeout(&original.into(), Duration::from_secs(2)).is_err() {
        return;
    }
    splice(client, upstream.into());
}

fn sidecar(port: u16, mark: u32, log: &str) {
    let listener = TcpListener::bind(("0.0.0.0", port)).unwrap();
    eprintln!("helper sidecar listening on {port}");
    for client in listener.incoming().flatten() {
        let log = log.to_owned();
        std::thread::spawn(move || {
            let Some(original) = SockRef::from(&client).original_dst_v4().ok().and_then(|a| a.as_socket()) else {
                return;
            };
            let Ok(peer) = client.peer_addr() else { return };
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
            file.write_all(format!("{original} {peer}\n").as_bytes()).unwrap();
            let upstream = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            upstream.set_mark(mark).unwrap();
            if upstream.connect_timeout(&original.into(), Duration::from_secs(2)).is_ok() {
                splice(client, upstream.into());
            }
        });
    }
}

/// Relays both ways until both sides are done.
fn splice(client: TcpStream, upstream: TcpStream) {
    let (mut c2, mut u2) = (client.try_clone().unwrap(), upstream.try_clone().unwrap());
    let up = std::thread::spawn(move || pipe(&mut c2, &mut u2));
    let (mut c, mut u) = (client, upstream);
    pipe(&mut u, &mut c);
    let _ = up.join();
}

fn pipe(from: &mut TcpStream, to: &mut TcpStream) {
    let mut buf = [0u8; 16384];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

fn probe(ip: &str, port: &str, ms: u64) {
    let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
    let timeout = Duration::from_millis(ms);
    let result = TcpStream::connect_timeout(&addr, timeout).and_then(|mut s| {
        s.set_read_timeout(Some(timeout))?;
        s.write_all(b"hello\n")?;
        let mut answer = String::new();
        BufReader::new(s).read_line(&mut answer)?;
        Ok(answer.trim().to_owned())
    });
    match result {
        Ok(answer) if !answer.is_empty() => println!("RESULT ok {answer}"),
        Ok(_) => println!("RESULT err empty answer"),
        Err(e) => println!("RESULT err {:?}", e.kind()),
    }
}
