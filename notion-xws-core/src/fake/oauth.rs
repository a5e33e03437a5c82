//! Public integrations (OAuth clients) and the consent of a workspace's person.
//!
//! A public integration is registered once (a client ID, a client secret and its redirect URIs)
//! and installed in any number of workspaces. Its installation in a workspace is an
//! [`Integration`] like an internal one (a bot user, a token, what is shared with it), with a
//! [`Grant`]: the client, the person who authorized it, its refresh token and when its access
//! token was issued. A person's consent in the browser ([`State::authorize`]) shares the pages
//! they pick and returns an authorization code, which `POST /v1/oauth/token` exchanges once for
//! the access token (see `handlers::oauth`).

use crate::secret::NotionToken;

use super::state::{IdStyle, Integration, State};

/// A public integration: an OAuth client.
#[derive(Debug)]
pub(crate) struct Client {
    /// The client ID (a UUID, as Notion's are).
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) secret: NotionToken,
    /// The redirect URIs of its settings (`OAuth Domain & URIs`).
    pub(crate) redirect_uris: Vec<String>,
}

/// An authorization code, from a person's consent.
#[derive(Debug)]
pub(crate) struct Code {
    pub(crate) code: NotionToken,
    pub(crate) client: usize,
    /// The installation it grants (an index of `State::integrations`).
    pub(crate) integration: usize,
    /// The `redirect_uri` of the authorization URL, if it had one.
    pub(crate) redirect_uri: Option<String>,
    /// Exchanged already: a code works once.
    pub(crate) used: bool,
}

/// What makes an [`Integration`] a public integration's installation.
#[derive(Debug)]
pub(crate) struct Grant {
    pub(crate) client: usize,
    /// The person who authorized it (the token's `owner`).
    pub(crate) owner: u128,
    /// The refresh token of the current pair; `None` before the code is exchanged and after a
    /// revocation.
    pub(crate) refresh: Option<NotionToken>,
    /// When the current access token was issued, in ms since the Unix epoch (`iat`).
    pub(crate) issued_ms: i64,
}

/// Why a consent could not be played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConsentError {
    UnknownClient,
    UnknownWorkspace,
    UnknownUser,
    /// The redirect URI is not one of the client's, or is needed (several) and missing.
    RedirectUri,
    /// An object to share is not in the workspace.
    NotInWorkspace(u128),
}

impl State {
    /// Registers a public integration; returns its index.
    pub(crate) fn add_client(&mut self, name: &str, redirect_uris: &[String]) -> usize {
        let id = super::state::uuid(self.new_id(IdStyle::V4));
        let secret = self.new_secret("secret_", 43);
        self.clients.push(Client {
            id,
            name: name.to_owned(),
            secret,
            redirect_uris: redirect_uris.to_vec(),
        });
        self.clients.len() - 1
    }

    /// A person of workspace `ws` authorizes client `client` in the browser, sharing `pages`:
    /// its installation there is made (or found again, a bot per client and workspace), the
    /// pages are shared with it, and an authorization code is returned for the redirect.
    /// `user` is the person (the workspace's owner when `None`); `redirect_uri` is the
    /// authorization URL's, which must be one of the client's (and is needed when it has
    /// several).
    pub(crate) fn authorize(
        &mut self,
        client: &str,
        ws: usize,
        user: Option<u128>,
        redirect_uri: Option<&str>,
        pages: &[u128],
    ) -> Result<NotionToken, ConsentError> {
        let index = self
            .clients
            .iter()
            .position(|c| c.id == client)
            .ok_or(ConsentError::UnknownClient)?;
        if ws >= self.workspaces.len() {
            return Err(ConsentError::UnknownWorkspace);
        }
        let registered = &self.clients[index].redirect_uris;
        match redirect_uri {
            Some(uri) if !registered.iter().any(|r| r == uri) => {
                return Err(ConsentError::RedirectUri);
            }
            None if registered.len() > 1 => return Err(ConsentError::RedirectUri),
            _ => {}
        }
        let person = match user {
            Some(id) => self
                .users
                .get(&id)
                .filter(|u| u.workspace == ws && u.integration.is_none())
                .map(|u| u.id)
                .ok_or(ConsentError::UnknownUser)?,
            None => self.owner_of(ws).ok_or(ConsentError::UnknownUser)?,
        };
        if let Some(&outside) = pages
            .iter()
            .find(|p| self.objects.get(p).is_none_or(|o| o.workspace != ws))
        {
            return Err(ConsentError::NotInWorkspace(outside));
        }
        let installed = self
            .integrations
            .iter()
            .position(|i| i.workspace == ws && i.grant.as_ref().is_some_and(|g| g.client == index));
        let integration = match installed {
            Some(i) => i,
            None => {
                let name = self.clients[index].name.clone();
                let i = self.add_integration(ws, &name);
                // Not usable before the code is exchanged.
                self.integrations[i].revoked = true;
                self.integrations[i].grant = Some(Grant {
                    client: index,
                    owner: person,
                    refresh: None,
                    issued_ms: 0,
                });
                i
            }
        };
        if let Some(grant) = self.integrations[integration].grant.as_mut() {
            grant.owner = person;
        }
        for page in pages {
            let installation: &mut Integration = &mut self.integrations[integration];
            installation.unshared.remove(page);
            installation.shared.insert(*page);
        }
        let code = self.new_secret("", 36);
        self.codes.push(Code {
            code: code.clone(),
            client: index,
            integration,
            redirect_uri: redirect_uri.map(str::to_owned),
            used: false,
        });
        Ok(code)
    }

    /// Gives an installation a fresh pair of tokens (access and refresh), issued now: the
    /// earlier pair stops working. Returns the access token.
    pub(crate) fn issue_tokens(&mut self, integration: usize) -> NotionToken {
        let access = self.new_secret("ntn_", 46);
        let refresh = self.new_secret("nrt_", 46);
        let now = self.clock.now_ms();
        let installation = &mut self.integrations[integration];
        installation.token = access.clone();
        installation.revoked = false;
        if let Some(grant) = installation.grant.as_mut() {
            grant.refresh = Some(refresh);
            grant.issued_ms = now;
        }
        access
    }

    /// A random secret: `prefix` and `len` alphanumerics, from the seed.
    fn new_secret(&mut self, prefix: &str, len: usize) -> NotionToken {
        loop {
            let text = format!("{prefix}{}", self.random_text(len));
            if let Ok(token) = NotionToken::new(&text) {
                break token;
            }
        }
    }
}
