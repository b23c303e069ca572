//! Parsers for what clients really type. Pure functions, property-tested; the conversation engine
//! and `inkline parse` use exactly these.

pub mod budget;
pub mod cli;
pub mod complexity;
pub mod dimensions;
pub mod edit_distance;
pub mod instagram;
pub mod intent;
pub mod location;
pub mod number_words;
pub mod places;
#[cfg(test)]
mod properties;
pub mod simple;
pub mod size_words;
pub mod slot;
pub mod text;
pub mod yes_no;

pub use budget::{ParsedBudget, budget};
pub use cli::{UnknownField, to_json};
pub use dimensions::{Dimensions, dimensions};
pub use intent::{Intent, intent};
pub use location::{Location, location};
pub use simple::{complexity, instagram, slot, yes_no};
