//! The QR code printed on a certificate.

use qrcode::{Color, EcLevel, QrCode};

use crate::PrintError;

/// The modules of the QR code for `text` (error correction level M), row by row: `width`
/// rows of `width` booleans, `true` for dark.
pub fn qr_modules(text: &str) -> Result<(usize, Vec<bool>), PrintError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| PrintError::Qr(e.to_string()))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((width, dark))
}
