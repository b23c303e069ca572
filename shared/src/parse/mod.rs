//! Parsers for what clients really type. Pure functions, property-tested; the conversation engine
//! and `inkline parse` use exactly these.

pub mod budget;
pub mod dimensions;
pub mod intent;
pub mod location;
pub mod simple;

pub use budget::{ParsedBudget, budget};
pub use dimensions::{Dimensions, dimensions};
pub use intent::{Intent, intent};
pub use location::{Location, location};
pub use simple::{complexity, instagram, slot, yes_no};
