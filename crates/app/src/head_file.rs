//! The audit chain's head kept outside the database: `serve --audit-head-file` appends one line
//! on a schedule, `seq hash unix-time mac`, the mac an HMAC-SHA256 of the first three fields
//! under a secret read from a file the database's owner cannot read. `anbiao audit verify
//! --head-file` checks every line's mac and that each head is still the entry of its number,
//! so a chain rewritten by someone who holds the database (and its triggers) is caught without
//! anyone having saved a head by hand.

use std::io::Write;
use std::path::Path;

use anbiao_store::audit_log::Head;
use anyhow::{Context, bail};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The shortest secret accepted.
const MIN_KEY: usize = 16;

/// Reads the secret (surrounding whitespace ignored).
pub fn read_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    let raw =
        std::fs::read(path).with_context(|| format!("无法读取链头密钥文件 {}", path.display()))?;
    let key = raw.trim_ascii().to_vec();
    if key.len() < MIN_KEY {
        bail!(
            "链头密钥文件 {} 太短：至少 {MIN_KEY} 个字节（例如 openssl rand -hex 32 的输出）",
            path.display()
        );
    }
    Ok(key)
}

fn mac(key: &[u8], body: &str) -> anyhow::Result<String> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).context("密钥无效")?;
    m.update(body.as_bytes());
    Ok(m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// One line for a head read at `at` (Unix time).
pub fn line(key: &[u8], head: &Head, at: i64) -> anyhow::Result<String> {
    let body = format!("{} {} {at}", head.seq, head.hash);
    Ok(format!("{body} {}", mac(key, &body)?))
}

/// Appends a line to the file (created if missing), flushed to disk.
pub fn append(path: &Path, key: &[u8], head: &Head, at: i64) -> anyhow::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("无法打开链头文件 {}", path.display()))?;
    writeln!(f, "{}", line(key, head, at)?)?;
    f.sync_data()?;
    Ok(())
}

/// The heads a file holds; the first line whose mac does not verify is an error naming it.
pub fn parse(text: &str, key: &[u8]) -> anyhow::Result<Result<Vec<Head>, String>> {
    let mut heads = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let n = i + 1;
        if l.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = l.split_whitespace().collect();
        let [seq, hash, at, sent] = parts[..] else {
            return Ok(Err(format!("链头文件第 {n} 行格式不对")));
        };
        let body = format!("{seq} {hash} {at}");
        if mac(key, &body)? != sent {
            return Ok(Err(format!(
                "链头文件第 {n} 行的校验码不符：文件被改动，或密钥不是写入时的密钥"
            )));
        }
        let Ok(seq) = seq.parse::<i64>() else {
            return Ok(Err(format!("链头文件第 {n} 行格式不对")));
        };
        heads.push(Head {
            seq,
            hash: hash.to_string(),
        });
    }
    Ok(Ok(heads))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_verify_under_their_key_only() {
        let key = b"0123456789abcdef0123";
        let head = Head {
            seq: 42,
            hash: "ab".repeat(32),
        };
        let l = line(key, &head, 1_765_000_000).expect("line");
        let text = format!("{l}\n\n{l}\n");
        assert_eq!(
            parse(&text, key).expect("ran"),
            Ok(vec![head.clone(), head])
        );
        let other = parse(&text, b"another-key-of-16+").expect("ran");
        assert!(other.is_err_and(|e| e.contains("第 1 行")));
        let edited = text.replacen("42 ", "41 ", 1);
        assert!(parse(&edited, key).expect("ran").is_err());
        assert!(parse("1 2 3\n", key).expect("ran").is_err());
    }
}
