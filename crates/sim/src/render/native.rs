//! forewarn's native JSON lines: the event model's own serialization, nothing lost.

use forewarn_formats::Format;
use forewarn_model::AuthEvent;

use super::{RenderContext, Renderer};

pub struct NativeRenderer;

impl Renderer for NativeRenderer {
    fn format(&self) -> Format {
        Format::Native
    }

    fn files(&self) -> &'static [&'static str] {
        &["events.jsonl"]
    }

    fn render(&mut self, event: &AuthEvent<'_>, _: &RenderContext<'_>, out: &mut [Vec<u8>]) {
        let out = &mut out[0];
        // Serializing an event into a Vec cannot fail: every field is a string, number or enum.
        serde_json::to_writer(&mut *out, event).expect("events serialize");
        out.push(b'\n');
    }
}
