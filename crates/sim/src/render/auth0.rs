//! Auth0 renderer: not written yet (renders nothing).

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct Auth0Renderer;

impl Renderer for Auth0Renderer {
    fn format(&self) -> Format {
        Format::Auth0
    }

    fn files(&self) -> &'static [&'static str] {
        &["logs.jsonl"]
    }

    fn render(&mut self, _: &AuthEvent<'_>, _: &RenderContext<'_>, _: &mut [Vec<u8>]) {}
}
