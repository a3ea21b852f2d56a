//! Ocsf renderer: not written yet (renders nothing).

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct OcsfRenderer;

impl Renderer for OcsfRenderer {
    fn format(&self) -> Format {
        Format::Ocsf
    }

    fn files(&self) -> &'static [&'static str] {
        &["events.jsonl"]
    }

    fn render(&mut self, _: &AuthEvent<'_>, _: &RenderContext<'_>, _: &mut [Vec<u8>]) {}
}
