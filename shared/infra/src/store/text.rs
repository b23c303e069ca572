//! Closed sets of values kept in TEXT columns (a deposit's status, a message's status...): one Rust
//! enum each, spelled once, read and written through sqlx as text.
//!
//! [`text_enum!`] declares such an enum with its database spelling per variant and derives the
//! rest from that one table: `as_str`, `FromStr`, `Display`, `Serialize` (the same spelling in the
//! API), `ALL`, and sqlx's `Type`/`Encode`/`Decode` as Postgres `text` (so a row decodes straight
//! into the enum and an enum binds as its text). A stored value outside the set fails to decode
//! (`UnknownValue`) rather than passing as an unknown string. The spellings must match the column's
//! `CHECK` in `migrations/` (each enum's tests compare them).

/// A stored value that is not one of the enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {what}")]
pub struct UnknownValue {
    /// What the value should have been (the enum's name).
    pub what: &'static str,
    pub value: String,
}

/// Declares a text enum (see the module documentation):
///
/// ```ignore
/// text_enum! {
///     /// Doc of the enum.
///     pub enum Direction {
///         /// Doc of the variant.
///         In = "in",
///         Out = "out",
///     }
/// }
/// ```
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The database (and API) spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::store::text::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $text => Ok($name::$variant), )+
                    other => Err($crate::store::text::UnknownValue {
                        what: stringify!($name),
                        value: other.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <str as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

pub(crate) use text_enum;

/// A `sqlx::Error::Decode` for a column whose text is not one of a core enum's spellings (core
/// types cannot implement sqlx's traits: they are converted where the row is read).
pub(crate) fn decode_error(what: &'static str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(UnknownValue {
        what,
        value: value.to_owned(),
    }))
}

/// The values of `column`'s `CHECK (column IN ('a', 'b', ...))` in table `table` of migration
/// `sql`, for the enums' tests.
#[cfg(test)]
pub(crate) fn check_values(sql: &str, table: &str, column: &str) -> Vec<String> {
    let find = || {
        let t = sql.find(&format!("CREATE TABLE {table} ("))?;
        let c = t + sql[t..].find(&format!("CHECK ({column} IN ("))?;
        let start = c + sql[c..].find("IN (")? + 4;
        let end = start + sql[start..].find(')')?;
        Some(&sql[start..end])
    };
    let list = find().unwrap_or_else(|| panic!("no CHECK ({column} IN ...) on {table}"));
    list.split(',')
        .map(|v| v.trim().trim_matches('\'').to_owned())
        .collect()
}
