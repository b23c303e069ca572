//! The small parsers (yes/no, complexity 1–3, Instagram handles, slot choices) under one name;
//! each lives in its own file.

pub use super::complexity::complexity;
pub use super::instagram::instagram;
pub use super::slot::slot;
pub use super::yes_no::yes_no;
