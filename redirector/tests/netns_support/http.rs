//! The HTTP helper roles for tests with the real inspector (see [`super::helpers`]): a tiny
//! keep-alive HTTP/1.1 server (closing after `Connection: close`) naming itself and the peer it saw, and a one-shot GET client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

pub fn serve(label: &str, ports: &str) {
    let mut threads = Vec::new();
    for port in ports.split(',') {
        let listener = TcpListener::bind(format!("0.0.0.0:{port}")).unwrap();
        let label = label.to_owned();
        threads.push(std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let label = label.clone();
                std::thread::spawn(move || answer(stream, &label));
            }
        }));
    }
    eprintln!("helper http {label} listening on {ports}");
    threads.into_iter().for_each(|t| _ = t.join());
}

fn answer(stream: TcpStream, label: &str) {
    let peer = stream.peer_addr().map(|p| p.to_string()).unwrap_or_default();
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let (mut length, mut close) = (0usize, false);
        let mut first = true;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line.trim().is_empty() && !first {
                break;
            }
            first = false;
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                close |= name.eq_ignore_ascii_case("connection") && value.trim().eq_ignore_ascii_case("close");
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let text = format!("{label} peer={peer}");
        let reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{text}", text.len());
        if out.write_all(reply.as_bytes()).is_err() || close {
            return;
        }
    }
}

pub fn get(ip: &str, port: &str, ms: u64) {
    let addr: SocketAddr = format!("{ip}:{port}").parse().unwrap();
    let target = std::env::var("CW_GET_TARGET").unwrap_or_else(|_| "/".into());
    let timeout = Duration::from_millis(ms);
    let result = TcpStream::connect_timeout(&addr, timeout).and_then(|mut s| {
        s.set_read_timeout(Some(timeout))?;
        write!(s, "GET {target} HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")?;
        let mut got = String::new();
        s.read_to_string(&mut got)?;
        Ok(got)
    });
    match result {
        Ok(got) => {
            let status = got.split_whitespace().nth(1).unwrap_or("-").to_owned();
            let body = got.split_once("\r\n\r\n").map_or("", |(_, b)| b).trim().replace('\n', " ");
            println!("RESULT ok {status} {body}");
        }
        Err(e) => println!("RESULT err {:?}", e.kind()),
    }
}
