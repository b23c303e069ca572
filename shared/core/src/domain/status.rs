//! Lead statuses and the one table of allowed transitions between them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a lead stands. Spelled exactly as in INTERFACES.md in JSON, SQL and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    New,
    Qualifying,
    PendingApproval,
    NeedsArtistReply,
    NeedsFollowUp,
    TourConversionOffered,
    Waitlisted,
    Optout,
    Abandoned,
    Stale,
    AwaitingDeposit,
    DepositPaid,
    DepositExpired,
    BookingPending,
    Booked,
    CollectingTimeWindows,
    Rejected,
    Cancelled,
    Refunded,
}

use Status::*;

impl Status {
    /// Every status, in lifecycle order.
    pub const ALL: [Status; 19] = [
        New,
        Qualifying,
        PendingApproval,
        NeedsArtistReply,
        NeedsFollowUp,
        TourConversionOffered,
        Waitlisted,
        Optout,
        Abandoned,
        Stale,
        AwaitingDeposit,
        DepositPaid,
        DepositExpired,
        BookingPending,
        Booked,
        CollectingTimeWindows,
        Rejected,
        Cancelled,
        Refunded,
    ];

    /// The wire/database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            New => "NEW",
            Qualifying => "QUALIFYING",
            PendingApproval => "PENDING_APPROVAL",
            NeedsArtistReply => "NEEDS_ARTIST_REPLY",
            NeedsFollowUp => "NEEDS_FOLLOW_UP",
            TourConversionOffered => "TOUR_CONVERSION_OFFERED",
            Waitlisted => "WAITLISTED",
            Optout => "OPTOUT",
            Abandoned => "ABANDONED",
            Stale => "STALE",
            AwaitingDeposit => "AWAITING_DEPOSIT",
            DepositPaid => "DEPOSIT_PAID",
            DepositExpired => "DEPOSIT_EXPIRED",
            BookingPending => "BOOKING_PENDING",
            Booked => "BOOKED",
            CollectingTimeWindows => "COLLECTING_TIME_WINDOWS",
            Rejected => "REJECTED",
            Cancelled => "CANCELLED",
            Refunded => "REFUNDED",
        }
    }

    /// Statuses where the bot no longer drives the conversation on its own.
    pub fn is_terminal_for_bot(self) -> bool {
        matches!(self, Booked | Rejected | Waitlisted)
    }

    /// The statuses this one may move to. One exhaustive match: a new status cannot be added
    /// without deciding its transitions.
    pub fn allowed_next(self) -> &'static [Status] {
        match self {
            New => &[Qualifying, NeedsArtistReply, Optout],
            Qualifying => &[
                PendingApproval,
                NeedsArtistReply,
                NeedsFollowUp,
                TourConversionOffered,
                Waitlisted,
                Abandoned,
                Stale,
                Optout,
            ],
            PendingApproval => &[
                AwaitingDeposit,
                Rejected,
                NeedsArtistReply,
                DepositPaid,
                Optout,
            ],
            NeedsArtistReply => &[
                Qualifying,
                PendingApproval,
                NeedsFollowUp,
                TourConversionOffered,
                Waitlisted,
                AwaitingDeposit,
                DepositPaid,
                DepositExpired,
                BookingPending,
                CollectingTimeWindows,
                Booked,
                Rejected,
                Cancelled,
                Refunded,
                Stale,
                Optout,
            ],
            NeedsFollowUp => &[
                Qualifying,
                PendingApproval,
                NeedsArtistReply,
                TourConversionOffered,
                Waitlisted,
                Rejected,
                Abandoned,
                Stale,
                Optout,
            ],
            TourConversionOffered => &[
                PendingApproval,
                Waitlisted,
                NeedsArtistReply,
                Abandoned,
                Stale,
                Optout,
            ],
            Waitlisted => &[PendingApproval, NeedsArtistReply, Optout],
            Optout => &[New],
            Abandoned => &[New, Optout],
            Stale => &[New, Optout],
            AwaitingDeposit => &[
                DepositPaid,
                DepositExpired,
                NeedsArtistReply,
                Cancelled,
                Optout,
            ],
            DepositPaid => &[
                BookingPending,
                Refunded,
                NeedsArtistReply,
                Cancelled,
                Optout,
            ],
            DepositExpired => &[
                AwaitingDeposit,
                DepositPaid,
                NeedsArtistReply,
                Stale,
                Cancelled,
                Optout,
            ],
            BookingPending => &[
                Booked,
                CollectingTimeWindows,
                NeedsArtistReply,
                Refunded,
                Cancelled,
                Optout,
            ],
            CollectingTimeWindows => &[
                Booked,
                BookingPending,
                NeedsArtistReply,
                Refunded,
                Cancelled,
                Optout,
            ],
            Booked => &[Cancelled, Refunded, NeedsArtistReply, Optout],
            Rejected => &[NeedsArtistReply, Optout],
            Cancelled => &[Refunded, New, NeedsArtistReply, Optout],
            Refunded => &[New, NeedsArtistReply, Optout],
        }
    }

    /// Whether `self -> to` is in the table.
    pub fn can_move_to(self, to: Status) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Checks a transition against the table; the only way code should decide one is allowed.
    pub fn transition(self, to: Status, cause: &str) -> Result<Transition, IllegalTransition> {
        if self.can_move_to(to) {
            Ok(Transition {
                from: self,
                to,
                cause: cause.to_owned(),
            })
        } else {
            Err(IllegalTransition {
                from: self,
                to,
                cause: cause.to_owned(),
            })
        }
    }
}

/// An allowed status change, with why it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub cause: String,
}

/// A status change the table does not allow. Logged, counted and recorded; never applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("illegal transition {from} -> {to} ({cause})")]
pub struct IllegalTransition {
    pub from: Status,
    pub to: Status,
    pub cause: String,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status string that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown lead status {0:?}")]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_spelling() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>(), Ok(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!("new".parse::<Status>().is_err());
    }

    #[test]
    fn the_migration_check_constraint_names_every_status() {
        let sql = include_str!("../../../../migrations/20261125000001_foundation.sql");
        for s in Status::ALL {
            assert!(
                sql.contains(&format!("'{}'", s.as_str())),
                "{s} missing from the CHECK"
            );
        }
    }

    #[test]
    fn every_status_is_reachable_and_none_moves_to_itself() {
        for s in Status::ALL {
            assert!(!s.can_move_to(s), "{s} -> {s}");
            if s != New {
                assert!(
                    Status::ALL.iter().any(|f| f.can_move_to(s)),
                    "{s} cannot be reached"
                );
            }
        }
    }

    #[test]
    fn opt_out_is_possible_from_every_status() {
        for s in Status::ALL {
            if s != Optout {
                assert!(s.can_move_to(Optout), "{s} cannot opt out");
            }
        }
    }

    #[test]
    fn the_issue_transitions_are_allowed() {
        let must = [
            (New, Qualifying),
            (Qualifying, PendingApproval),
            (Qualifying, NeedsArtistReply),
            (Qualifying, NeedsFollowUp),
            (Qualifying, TourConversionOffered),
            (Qualifying, Waitlisted),
            (Qualifying, Abandoned),
            (Qualifying, Stale),
            (Qualifying, Optout),
            (PendingApproval, AwaitingDeposit),
            (PendingApproval, Rejected),
            (PendingApproval, NeedsArtistReply),
            (AwaitingDeposit, DepositPaid),
            (AwaitingDeposit, DepositExpired),
            (DepositPaid, BookingPending),
            (BookingPending, Booked),
            (BookingPending, CollectingTimeWindows),
            (TourConversionOffered, PendingApproval),
            (TourConversionOffered, Waitlisted),
            (Optout, New),
            (Abandoned, New),
            (Stale, New),
        ];
        for (from, to) in must {
            assert!(from.transition(to, "test").is_ok(), "{from} -> {to}");
        }
        assert_eq!(
            Booked.transition(New, "x"),
            Err(IllegalTransition {
                from: Booked,
                to: New,
                cause: "x".into()
            })
        );
    }
}
