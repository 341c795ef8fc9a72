//! Published documents (bulletins, warning notices) as PDFs, drawn once per version: the key is
//! a hash of what the PDF prints, so an edit is a new version and the anonymous portal does not
//! redraw a document on every request. A few dozen recent documents are kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;

/// Documents kept.
const KEPT: usize = 32;

/// A document's PDF under the hash of what it prints.
type Kept = ([u8; 32], Arc<Vec<u8>>);

#[derive(Default)]
pub struct DocumentCache {
    kept: Mutex<VecDeque<Kept>>,
}

impl std::fmt::Debug for DocumentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DocumentCache")
    }
}

/// A PDF and whether it was drawn for this request.
pub struct Drawn {
    pub bytes: Arc<Vec<u8>>,
    pub fresh: bool,
}

/// The PDF of a document with this title, subtitle and body.
pub async fn pdf(
    state: &AppState,
    title: &str,
    subtitle: &str,
    body: &str,
) -> Result<Drawn, AppError> {
    let mut h = Sha256::new();
    for part in [title, subtitle, body] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let key: [u8; 32] = h.finalize().into();
    if let Ok(kept) = state.documents.kept.lock()
        && let Some((_, bytes)) = kept.iter().find(|(k, _)| *k == key)
    {
        return Ok(Drawn {
            bytes: bytes.clone(),
            fresh: false,
        });
    }
    let font = state.font()?.clone();
    let (title, subtitle, body) = (title.to_string(), subtitle.to_string(), body.to_string());
    let bytes = tokio::task::spawn_blocking(move || {
        anbiao_print::document_pdf(&font, &title, &subtitle, &body)
    })
    .await
    .map_err(AppError::from)?
    .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let bytes = Arc::new(bytes);
    if let Ok(mut kept) = state.documents.kept.lock() {
        kept.retain(|(k, _)| *k != key);
        kept.push_back((key, bytes.clone()));
        while kept.len() > KEPT {
            kept.pop_front();
        }
    }
    Ok(Drawn { bytes, fresh: true })
}

/// The download response, saying whether the PDF was drawn now (`X-Cache: miss`) or kept.
pub fn download(d: Drawn, ascii_name: &str, file: &str) -> axum::response::Response {
    let mut res = crate::export::download(
        d.bytes.as_ref().clone(),
        "application/pdf",
        ascii_name,
        file,
    );
    res.headers_mut().insert(
        "x-cache",
        axum::http::HeaderValue::from_static(if d.fresh { "miss" } else { "hit" }),
    );
    res
}
