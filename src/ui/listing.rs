//! The account list as the window shows it: the accounts the worker last sent, the filter,
//! the rows left after filter and sort, the selection, and the accounts with work running.
//! The list panel, the details panel and the dialogs read it through its methods; only
//! [`Listing::replace`], [`Listing::select`] and the filter change it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::settings::Sort;
use crate::model::Account;

/// The window's account list and selection.
#[derive(Debug, Default)]
pub struct Listing {
    accounts: Vec<Account>,
    /// Indices into `accounts`, filtered and sorted: rebuilt only when one of those changes.
    rows: Vec<usize>,
    filter: String,
    selected: Option<String>,
    busy: HashSet<String>,
    /// Refresh tokens expiring within a day, counted at most once a second.
    expiring: Option<(i64, usize)>,
}

impl Listing {
    /// The accounts, in the order the worker sent them.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The rows after filter and sort, as indices into [`Listing::accounts`].
    pub fn rows(&self) -> &[usize] {
        &self.rows
    }

    /// The account `name`.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }

    /// The selected account's name.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// The selected account.
    pub fn selected_account(&self) -> Option<&Account> {
        self.account(self.selected.as_deref()?)
    }

    /// The filter as typed.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// The filter, for its text field; call [`Listing::refilter`] when it changed.
    pub fn filter_mut(&mut self) -> &mut String {
        &mut self.filter
    }

    /// Whether a background action on `name` is running.
    pub fn is_busy(&self, name: &str) -> bool {
        self.busy.contains(name)
    }

    /// Notes that a background action on `name` started or ended.
    pub fn set_busy(&mut self, name: String, busy: bool) {
        if busy {
            self.busy.insert(name);
        } else {
            self.busy.remove(&name);
        }
    }

    /// The accounts as stored now. The selection stays on its account while it exists, else
    /// moves to the first one.
    pub fn replace(&mut self, accounts: Vec<Account>, sort: Sort) {
        self.accounts = accounts;
        self.expiring = None;
        if self
            .selected
            .as_ref()
            .is_some_and(|name| self.account(name).is_none())
        {
            self.selected = None;
        }
        if self.selected.is_none() {
            self.selected = self.accounts.first().map(|a| a.name.clone());
        }
        self.refilter(sort);
    }

    /// Selects `name`; whether the selection changed.
    pub fn select(&mut self, name: Option<String>) -> bool {
        let changed = self.selected != name;
        self.selected = name;
        changed
    }

    /// Filters and sorts the rows again: after the accounts, the filter or the order changed.
    pub fn refilter(&mut self, sort: Sort) {
        let needle = self.filter.trim().to_lowercase();
        let mut rows: Vec<usize> = self
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                needle.is_empty()
                    || a.name.to_lowercase().contains(&needle)
                    || a.provider.id().contains(&needle)
                    || a.provider.label().to_lowercase().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect();
        let accounts = &self.accounts;
        match sort {
            Sort::Name => rows.sort_by(|&a, &b| accounts[a].name.cmp(&accounts[b].name)),
            Sort::SoonestExpiry => rows.sort_by_key(|&i| {
                let tokens = &accounts[i].tokens;
                (
                    tokens.access_expires_at.is_none(),
                    tokens.access_expires_at,
                    accounts[i].name.clone(),
                )
            }),
        }
        self.rows = rows;
    }

    /// How many refresh tokens expire within a day at `now`; counted at most once a second.
    pub fn expiring_refresh_count(&mut self, now: DateTime<Utc>) -> usize {
        match self.expiring {
            Some((second, count)) if second == now.timestamp() => count,
            _ => {
                let count = self
                    .accounts
                    .iter()
                    .filter(|a| a.refresh_token_expires_soon(now))
                    .count();
                self.expiring = Some((now.timestamp(), count));
                count
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::model::ProviderKind;

    fn account(name: &str, provider: ProviderKind, expires_in: Option<i64>) -> Account {
        let mut account = Account::new(name, provider, crate::model::Grant::RefreshToken);
        account.tokens.access_expires_at =
            expires_in.map(|secs| Utc::now() + TimeDelta::seconds(secs));
        account
    }

    fn names(listing: &Listing) -> Vec<&str> {
        listing
            .rows()
            .iter()
            .map(|&i| listing.accounts()[i].name.as_str())
            .collect()
    }

    #[test]
    fn rows_follow_the_filter_and_the_order() {
        let mut listing = Listing::default();
        listing.replace(
            vec![
                account("zeta", ProviderKind::ARUBA_CENTRAL, Some(60)),
                account("alpha", ProviderKind::OAUTH2, None),
                account("mid", ProviderKind::ACTIVE_IQ, Some(30)),
            ],
            Sort::Name,
        );
        assert_eq!(names(&listing), ["alpha", "mid", "zeta"]);
        listing.refilter(Sort::SoonestExpiry);
        assert_eq!(
            names(&listing),
            ["mid", "zeta", "alpha"],
            "no expiry sorts last"
        );
        // By name, by provider id, by provider label, ignoring case and spaces.
        for (filter, expected) in [
            ("ZET", vec!["zeta"]),
            ("aruba", vec!["zeta"]),
            (" Active IQ ", vec!["mid"]),
            ("nothing", vec![]),
        ] {
            *listing.filter_mut() = filter.to_owned();
            listing.refilter(Sort::Name);
            assert_eq!(names(&listing), expected, "{filter}");
        }
    }

    #[test]
    fn the_selection_stays_on_its_account_or_moves_to_the_first() {
        let mut listing = Listing::default();
        let accounts = |names: &[&str]| {
            names
                .iter()
                .map(|name| account(name, ProviderKind::OAUTH2, None))
                .collect()
        };
        listing.replace(accounts(&["a", "b"]), Sort::Name);
        assert_eq!(listing.selected(), Some("a"));
        assert!(listing.select(Some("b".into())));
        assert!(!listing.select(Some("b".into())), "no change");
        listing.replace(accounts(&["c", "b"]), Sort::Name);
        assert_eq!(listing.selected(), Some("b"));
        listing.replace(accounts(&["c"]), Sort::Name);
        assert_eq!(listing.selected(), Some("c"), "b was removed");
        listing.replace(Vec::new(), Sort::Name);
        assert_eq!(listing.selected(), None);
        assert!(listing.selected_account().is_none());
    }
}
