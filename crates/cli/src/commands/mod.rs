pub mod decode;
pub mod demo;
pub mod formats;
pub mod simulate;
