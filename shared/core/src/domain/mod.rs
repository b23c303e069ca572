//! Domain values: statuses, money, regions and artist configuration. Pure, no I/O.

pub mod artist;
pub mod message;
pub mod money;
pub mod region;
pub mod status;

pub use artist::ArtistConfig;
pub use message::{Choice, MessageBody};
pub use money::{Currency, Money};
pub use region::Region;
pub use status::{IllegalTransition, Status, Transition};
