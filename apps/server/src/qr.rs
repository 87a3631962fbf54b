//! QR codes drawn as inline SVG on the server (the room's join link, an authenticator app's
//! enrolment), so that they work on a network without internet.

use qrcode::QrCode;
use qrcode::render::svg;

/// `text` as an inline `<svg>` element, at least 200 pixels square; empty if it is too long to
/// encode.
pub(crate) fn svg(text: &str) -> String {
    QrCode::new(text.as_bytes())
        .map(|qr| {
            let image = qr
                .render::<svg::Color<'_>>()
                .min_dimensions(200, 200)
                .dark_color(svg::Color("#111"))
                .light_color(svg::Color("#fff"))
                .build();
            // Inline in HTML, the XML declaration has no place.
            image
                .find("<svg")
                .map_or(image.clone(), |start| image[start..].to_owned())
        })
        .unwrap_or_default()
}
