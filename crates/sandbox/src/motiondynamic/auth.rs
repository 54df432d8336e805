//! MotionDynamic JWTs: HS256 tokens minted and checked the way PostgREST does.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};

use super::postgrest::PgError;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Claims {
    role: String,
    exp: u64,
}

fn now() -> u64 {
    crate::clock::Clock::epoch_millis() / 1000
}

/// A token signed with `secret`, valid for `ttl` seconds (0 makes an
/// already expired token, for tests).
pub(super) fn mint(secret: &str, ttl: u64) -> String {
    let exp = if ttl == 0 {
        now().saturating_sub(120)
    } else {
        now() + ttl
    };
    let claims = Claims {
        role: "sandbox_user".into(),
        exp,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap_or_default()
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refused(pub PgError);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let description = self.0.message.replace('"', "'");
        let mut response = self.0.into_response();
        let challenge =
            format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Checks the `Authorization: Bearer` header.
pub(super) fn check(headers: &HeaderMap, secret: &str) -> Result<(), Refused> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(token) = token else {
        return Err(Refused(PgError::new(
            StatusCode::UNAUTHORIZED,
            "PGRST302",
            "Anonymous access is disabled",
        )));
    };
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.required_spec_claims = ["exp".to_owned()].into_iter().collect();
    match jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    ) {
        Ok(_) => Ok(()),
        Err(e) => match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(Refused(PgError::new(
                StatusCode::UNAUTHORIZED,
                "PGRST303",
                "JWT expired",
            ))),
            _ => Err(Refused(PgError::new(
                StatusCode::UNAUTHORIZED,
                "PGRST301",
                "JWSError JWSInvalidSignature",
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        headers
    }

    #[test]
    fn valid_expired_forged_and_missing_tokens() {
        assert!(check(&bearer(&mint("s", 60)), "s").is_ok());
        assert_eq!(
            check(&bearer(&mint("s", 0)), "s").unwrap_err().0.code,
            "PGRST303"
        );
        assert_eq!(
            check(&bearer(&mint("other", 60)), "s").unwrap_err().0.code,
            "PGRST301"
        );
        assert_eq!(
            check(&bearer("garbage"), "s").unwrap_err().0.code,
            "PGRST301"
        );
        assert_eq!(
            check(&HeaderMap::new(), "s").unwrap_err().0.code,
            "PGRST302"
        );
    }
}
