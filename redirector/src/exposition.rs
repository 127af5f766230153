//! The `/metrics` endpoint shared by `controller`, `agent` and `local`: plain HTTP/1.1,
//! `GET /metrics` answered with the Prometheus text exposition, anything else 404.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Something with a Prometheus text exposition.
pub trait Exposition: Send + Sync + 'static {
    /// The text exposition, encoded now.
    fn encode(&self) -> String;
}

/// Serves `GET /metrics` until the task is dropped.
pub async fn serve(listener: TcpListener, metrics: Arc<dyn Exposition>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else { continue };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let head = read_head(&mut stream).await;
            let (status, body) = if head.starts_with("GET /metrics ") {
                ("200 OK", metrics.encode())
            } else {
                ("404 Not Found", String::from("not found\n"))
            };
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            _ = stream.write_all(response.as_bytes()).await;
        });
    }
}

/// The request head (up to its blank line, at most 8 KiB, within 5 s): a client may send it
/// in pieces, and answering early would close the connection under its remaining writes.
async fn read_head(stream: &mut tokio::net::TcpStream) -> String {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        while head.len() < 8192 && !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    };
    _ = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
    String::from_utf8_lossy(&head).into_owned()
}

/// Serves `GET /metrics` on `listener` from a thread of its own (for the synchronous
/// `local` loop). Binding happens before, so a bad address is an error at start.
pub fn serve_in_thread(listener: std::net::TcpListener, metrics: Arc<dyn Exposition>) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("metrics".into()).spawn(move || {
        runtime.block_on(async move {
            match TcpListener::from_std(listener) {
                Ok(listener) => serve(listener, metrics).await,
                Err(e) => eprintln!("redirector: metrics endpoint: {e}"),
            }
        });
    })?;
    Ok(())
}
