//! Drawing on a page: text in the CJK font (placed, centred, right-aligned, wrapped), labelled
//! fields, a border, filled boxes and a QR code. Shared by the certificate and the risk cards.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::CjkFont;

pub(crate) const INK: (u8, u8, u8) = (20, 20, 20);
pub(crate) const GREY: (u8, u8, u8) = (90, 90, 90);

/// Draws text and shapes on one page of `page_w` × `page_h` points inside `margin`.
pub(crate) struct Writer<'a, 'b> {
    pub s: &'a mut Surface<'b>,
    pub font: Font,
    pub metrics: &'a CjkFont,
    pub page_w: f32,
    pub page_h: f32,
    pub margin: f32,
}

pub(crate) fn fill(c: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

impl Writer<'_, '_> {
    pub fn text(&mut self, text: &str, x: f32, y: f32, size: f32, colour: (u8, u8, u8)) {
        self.s.set_fill(Some(fill(colour)));
        self.s.draw_text(
            Point::from_xy(x, y),
            self.font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    pub fn centered(&mut self, text: &str, y: f32, size: f32, colour: (u8, u8, u8)) {
        for (i, line) in self
            .wrap(text, size, self.page_w - 2.0 * self.margin)
            .iter()
            .enumerate()
        {
            let w = self.metrics.width(line, size);
            self.text(
                line,
                (self.page_w - w) / 2.0,
                y + i as f32 * size * 1.4,
                size,
                colour,
            );
        }
    }

    pub fn right(&mut self, text: &str, y: f32, size: f32, colour: (u8, u8, u8)) {
        let w = self.metrics.width(text, size);
        self.text(text, self.page_w - self.margin - w, y, size, colour);
    }

    /// "label：value", the value wrapped under itself; returns the next baseline.
    pub fn field(&mut self, label: &str, value: &str, y: f32) -> f32 {
        let size = 16.0;
        let head = format!("{label}：");
        let head_w = self.metrics.width(&head, size);
        self.text(&head, self.margin, y, size, GREY);
        let lines = self.wrap(value, size, self.page_w - 2.0 * self.margin - head_w);
        for (i, line) in lines.iter().enumerate() {
            self.text(line, self.margin + head_w, y + i as f32 * 26.0, size, INK);
        }
        y + 26.0 * lines.len().max(1) as f32 + 6.0
    }

    pub fn paragraph(&mut self, text: &str, y: f32, size: f32, colour: (u8, u8, u8)) -> f32 {
        let lines = self.wrap(text, size, self.page_w - 2.0 * self.margin);
        for (i, line) in lines.iter().enumerate() {
            self.text(line, self.margin, y + i as f32 * 28.0, size, colour);
        }
        y + 28.0 * lines.len().max(1) as f32
    }

    pub fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        self.metrics.wrap(text, size, max)
    }

    /// A double border in `colour`.
    pub fn frame(&mut self, colour: (u8, u8, u8)) {
        for (inset, width) in [(28.0, 3.0), (38.0, 0.8)] {
            let Some(r) = Rect::from_xywh(
                inset,
                inset,
                self.page_w - 2.0 * inset,
                self.page_h - 2.0 * inset,
            ) else {
                continue;
            };
            let mut pb = PathBuilder::new();
            pb.push_rect(r);
            if let Some(path) = pb.finish() {
                self.s.set_fill(None);
                self.s.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
                    width,
                    ..Default::default()
                }));
                self.s.draw_path(&path);
                self.s.set_stroke(None);
            }
        }
    }

    /// The QR code in `area`, one filled square per dark module.
    pub fn qr(&mut self, area: Rect, width: usize, modules: &[bool]) {
        let cell = area.width() / width as f32;
        let mut pb = PathBuilder::new();
        for (i, dark) in modules.iter().enumerate() {
            if *dark {
                let (x, y) = ((i % width) as f32, (i / width) as f32);
                if let Some(r) =
                    Rect::from_xywh(area.left() + x * cell, area.top() + y * cell, cell, cell)
                {
                    pb.push_rect(r);
                }
            }
        }
        if let Some(path) = pb.finish() {
            self.s.set_stroke(None);
            self.s.set_fill(Some(fill((0, 0, 0))));
            self.s.draw_path(&path);
        }
    }

    /// A box filled with `colour`.
    pub fn filled(&mut self, area: Rect, colour: (u8, u8, u8)) {
        let mut pb = PathBuilder::new();
        pb.push_rect(area);
        if let Some(path) = pb.finish() {
            self.s.set_stroke(None);
            self.s.set_fill(Some(fill(colour)));
            self.s.draw_path(&path);
        }
    }
}
