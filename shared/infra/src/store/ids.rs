//! Ids as types at the store's boundary: a lead's id cannot be passed where an artist's is
//! expected. Each wraps the row's UUID, binds and decodes as `uuid` (`#[sqlx(transparent)]`) and
//! serializes as the bare UUID (`#[serde(transparent)]`), so the wire and the database are
//! unchanged. Jobs and other crates still carry plain `Uuid`s: convert with `From` at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUID v7), as rows are created with.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }

            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                $name(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map($name)
            }
        }
    };
}

id_type! {
    /// A lead's id (`leads.id`).
    LeadId
}

id_type! {
    /// An artist's id (`artists.id`).
    ArtistId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_bare_uuids_on_the_wire() {
        let id = LeadId::new();
        assert_eq!(serde_json::json!(id), serde_json::json!(id.uuid()));
        assert_eq!(id.to_string().parse::<LeadId>().ok(), Some(id));
        assert_eq!(Uuid::from(ArtistId::from(id.uuid())), id.uuid());
    }
}
