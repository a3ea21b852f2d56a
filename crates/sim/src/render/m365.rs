//! M365 renderer: not written yet (renders nothing).

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct M365Renderer;

impl Renderer for M365Renderer {
    fn format(&self) -> Format {
        Format::M365
    }

    fn files(&self) -> &'static [&'static str] {
        &["audit.jsonl"]
    }

    fn render(&mut self, _: &AuthEvent<'_>, _: &RenderContext<'_>, _: &mut [Vec<u8>]) {}
}
