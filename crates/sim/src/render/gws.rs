//! Gws renderer: not written yet (renders nothing).

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct GwsRenderer;

impl Renderer for GwsRenderer {
    fn format(&self) -> Format {
        Format::Gws
    }

    fn files(&self) -> &'static [&'static str] {
        &["activities.jsonl"]
    }

    fn render(&mut self, _: &AuthEvent<'_>, _: &RenderContext<'_>, _: &mut [Vec<u8>]) {}
}
