//! Entra renderer: not written yet (renders nothing).

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct EntraRenderer;

impl Renderer for EntraRenderer {
    fn format(&self) -> Format {
        Format::Entra
    }

    fn files(&self) -> &'static [&'static str] {
        &["signins.jsonl", "audit.jsonl"]
    }

    fn render(&mut self, _: &AuthEvent<'_>, _: &RenderContext<'_>, _: &mut [Vec<u8>]) {}
}
