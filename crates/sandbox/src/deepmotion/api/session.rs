//! `GET /session/auth`: Basic credentials in, a `dmsess` session cookie out.

use super::*;

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `GET /session/auth`.
pub(crate) async fn session_auth(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let args = &inner.config.args;
    let valid = basic_credentials(&headers).is_some_and(|(id, secret)| {
        let id_ok = id.as_bytes().ct_eq(args.client_id.as_bytes());
        let secret_ok = secret.as_bytes().ct_eq(args.client_secret.as_bytes());
        bool::from(id_ok & secret_ok)
    });
    if !valid {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "invalid client credentials: send Authorization: Basic base64(clientId:clientSecret)",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Animate 3D\""),
        );
        return response;
    }
    let ttl = inner.config.session_ttl();
    let token = random_hex(24);
    // `Expires` has whole seconds: round the expiry up to one and use that
    // same instant on both sides, so clients know exactly when it ends.
    let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 4);
    let expires_ms = (now_ms().saturating_add(ttl_ms)).div_ceil(1000) * 1000;
    inner.store.insert_session(&token, expires_ms);
    let expires = httpdate::fmt_http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(expires_ms),
    );
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Expires={expires}; HttpOnly",
        inner.signer.session_cookie(&token)
    );
    inner.counters.auths.fetch_add(1, Ordering::Relaxed);
    let mut response = StatusCode::OK.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
