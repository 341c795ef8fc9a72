//! A minimal keep-alive HTTP/1.1 client on hyper, and an in-process server on a free port.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

pub struct Session {
    pub cookie: String,
}

pub async fn serve(router: axum::Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}

async fn connect(addr: SocketAddr) -> anyhow::Result<SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

pub async fn login(addr: SocketAddr, username: &str, password: &str) -> anyhow::Result<Session> {
    let mut s = connect(addr).await?;
    let body = serde_json::json!({"username": username, "password": password}).to_string();
    let req = hyper::Request::post("/api/v1/session")
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))?;
    let res = s.send_request(req).await?;
    anyhow::ensure!(res.status() == 201, "login failed: {}", res.status());
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("anbiao_sid="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("no cookie"))?;
    Ok(Session { cookie })
}

/// Sends `n` sequential GETs after 10 warm-ups; returns p50, p95 and the last body.
pub async fn measure(
    addr: SocketAddr,
    path: &str,
    session: Option<&Session>,
    n: usize,
) -> anyhow::Result<(Duration, Duration, Vec<u8>)> {
    let mut s = connect(addr).await?;
    let mut times = Vec::with_capacity(n);
    let mut last = Vec::new();
    for i in 0..n + 10 {
        let mut req = hyper::Request::get(path).header("host", addr.to_string());
        if let Some(sess) = session {
            req = req.header("cookie", &sess.cookie);
        }
        s.ready().await?;
        let t = Instant::now();
        let res = s.send_request(req.body(Full::new(Bytes::new()))?).await?;
        let status = res.status();
        let body = res.into_body().collect().await?.to_bytes();
        let took = t.elapsed();
        anyhow::ensure!(status.is_success(), "{path}: {status}");
        if i >= 10 {
            times.push(took);
        }
        last = body.to_vec();
    }
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    Ok((pick(0.50), pick(0.95), last))
}
