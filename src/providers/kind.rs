//! [`ProviderKind`]: an account's handle on its provider's [`Spec`] in the registry
//! ([`super::ALL`]). Its name on disk and on the command line, its label, its badge colour
//! and the sentences that list the providers all come from the registry, so a provider
//! added there is everywhere at once.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{ALL, Spec};

/// The provider an account talks to: a handle on its entry in the registry.
#[derive(Clone, Copy)]
pub struct ProviderKind(&'static Spec);

impl ProviderKind {
    /// NetApp Active IQ Digital Advisor.
    pub const ACTIVE_IQ: Self = Self(&super::active_iq::SPEC);
    /// NetApp BlueXP / Cloud Manager (Auth0).
    pub const BLUEXP: Self = Self(&super::bluexp::SPEC);
    /// Apinizer's management API.
    pub const APINIZER: Self = Self(&super::apinizer::SPEC);
    /// HPE Aruba Networking Central's API gateway.
    pub const ARUBA_CENTRAL: Self = Self(&super::aruba_central::SPEC);
    /// Any RFC 6749 OAuth 2.0 server.
    pub const OAUTH2: Self = Self(&super::oauth2::SPEC);

    /// Every provider, in the registry's order (the order the window lists them).
    pub fn all() -> impl ExactSizeIterator<Item = Self> + DoubleEndedIterator + Clone {
        ALL.iter().map(|spec| Self(spec))
    }

    /// The provider whose id is `id` (`active-iq`, `bluexp`, …).
    pub fn from_id(id: &str) -> Option<Self> {
        Self::all().find(|kind| kind.id() == id)
    }

    /// Every fact about the provider.
    pub fn spec(self) -> &'static Spec {
        self.0
    }

    /// The id on disk and on the command line (`active-iq`, `bluexp`, …).
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// The name people know the product by.
    pub fn label(self) -> &'static str {
        self.0.label
    }

    /// The provider's place in the badge palette.
    pub fn palette(self) -> usize {
        self.0.palette
    }

    /// Every provider's id, as the command line offers them.
    pub fn ids() -> impl Iterator<Item = &'static str> + Clone {
        Self::all().map(Self::id)
    }

    /// The providers for a sentence: "NetApp Active IQ, …, HPE Aruba Networking Central or any
    /// OAuth 2.0 server".
    pub fn sentence() -> String {
        let names: Vec<&str> = ALL.iter().map(|spec| spec.long_label).collect();
        match names.split_last() {
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

impl PartialEq for ProviderKind {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for ProviderKind {}

impl std::hash::Hash for ProviderKind {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id().hash(state);
    }
}

impl PartialOrd for ProviderKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ProviderKind {
    /// The registry's order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let place = |kind: &Self| Self::all().position(|k| k.id() == kind.id());
        place(self).cmp(&place(other))
    }
}

impl std::fmt::Debug for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProviderKind({})", self.id())
    }
}

impl std::fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for ProviderKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for ProviderKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_id(&id).ok_or_else(|| {
            let known: Vec<&str> = Self::ids().collect();
            serde::de::Error::custom(format!(
                "unknown provider '{id}' (this version knows {})",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_serde_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for kind in ProviderKind::all() {
            assert!(seen.insert(kind.id()), "{} is registered twice", kind.id());
            assert_eq!(ProviderKind::from_id(kind.id()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.id()));
            assert_eq!(serde_json::from_str::<ProviderKind>(&json).unwrap(), kind);
        }
        assert_eq!(ProviderKind::from_id("aruba"), None);
        let err = serde_json::from_str::<ProviderKind>("\"aruba\"").unwrap_err();
        assert!(
            err.to_string().contains("unknown provider 'aruba'"),
            "{err}"
        );
    }

    #[test]
    fn the_shorthands_are_registered() {
        for kind in [
            ProviderKind::ACTIVE_IQ,
            ProviderKind::BLUEXP,
            ProviderKind::APINIZER,
            ProviderKind::ARUBA_CENTRAL,
            ProviderKind::OAUTH2,
        ] {
            assert_eq!(ProviderKind::from_id(kind.id()), Some(kind));
        }
    }

    #[test]
    fn the_sentence_names_every_provider_once() {
        let sentence = ProviderKind::sentence();
        for spec in ALL {
            assert_eq!(sentence.matches(spec.long_label).count(), 1, "{sentence}");
        }
        assert!(sentence.ends_with(&format!(" or {}", ALL[ALL.len() - 1].long_label)));
    }

    #[test]
    fn the_order_is_the_registrys() {
        let mut kinds: Vec<ProviderKind> = ProviderKind::all().rev().collect();
        kinds.sort();
        assert!(kinds.iter().copied().eq(ProviderKind::all()));
    }

    #[test]
    fn the_catalog_is_the_accounts_own_else_the_providers_else_none() {
        use crate::model::{Account, Grant};
        let by_id = |id: &str| ProviderKind::from_id(id).unwrap();
        let mut aiq = Account::new("aiq", by_id("active-iq"), Grant::RefreshToken);
        assert_eq!(
            aiq.provider.spec().catalog_for(&aiq),
            Some((
                "https://activeiq.netapp.com/api".to_owned(),
                "authorizationToken"
            ))
        );
        aiq.catalog_url = Some("https://mirror.example/catalog".into());
        assert_eq!(
            aiq.provider.spec().catalog_for(&aiq).map(|(url, _)| url),
            Some("https://mirror.example/catalog".to_owned())
        );
        // Aruba's Swagger UI hangs under the account's API gateway.
        let mut central = Account::new("c", by_id("aruba-central"), Grant::AuthorizationCode);
        central.url = Some("https://apigw-eucentral3.central.arubanetworks.com/".into());
        assert_eq!(
            central
                .provider
                .spec()
                .catalog_for(&central)
                .map(|(url, _)| url),
            Some("https://apigw-eucentral3.central.arubanetworks.com/swagger/central/".to_owned())
        );
        let oauth = Account::new("o", by_id("oauth2"), Grant::ClientCredentials);
        assert_eq!(oauth.provider.spec().catalog_for(&oauth), None);
    }
}
