//! The LogicalDOC API's authentication slice against a real `docsfs serve`: every login form,
//! every credential the session middleware accepts (sid header, `ldoc-sid` cookie, X-API-KEY,
//! Basic), refusals (500 on a bad login, 401 with a Basic challenge elsewhere), logout, renewal
//! and the idle timeout. A user's LogicalDOC password and API key are its `--user` token.

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::json;

use super::harness::{ALICE, BOB, CAROL, Server};

struct Ld {
    base: String,
    http: Client,
}

impl Ld {
    fn new(s: &Server) -> Self {
        Self {
            base: format!("{}/services/rest", s.base),
            http: Client::new(),
        }
    }

    fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(format!("{}{path}", self.base))
    }

    fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(format!("{}{path}", self.base))
    }

    async fn login(&self, user: &str, password: &str) -> String {
        let r = self
            .get("/auth/login")
            .query(&[("u", user), ("pw", password)])
            .send()
            .await
            .unwrap();
        sid_of(r).await
    }

    /// `getSid` with the `sid` header.
    async fn get_sid(&self, sid: &str) -> Response {
        self.get("/auth/getSid")
            .header("sid", sid)
            .send()
            .await
            .unwrap()
    }
}

/// The sid a successful login answered: raw text, UUID-shaped.
async fn sid_of(r: Response) -> String {
    assert_eq!(r.status(), StatusCode::OK);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain"), "content type {ct}");
    let sid = r.text().await.unwrap();
    assert_eq!(sid.len(), 36, "a UUID-like sid: {sid:?}");
    assert_eq!(sid.matches('-').count(), 4, "a UUID-like sid: {sid:?}");
    sid
}

async fn assert_current_sid(ld: &Ld, sid: &str) {
    let r = ld.get_sid(sid).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), sid);
}

/// 401, `WWW-Authenticate: Basic realm="Security Realm"`, no body.
async fn assert_unauthorized(r: Response) {
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Security Realm\""
    );
    assert!(r.headers().get("x-amzn-errortype").is_none());
    assert_eq!(r.text().await.unwrap(), "");
}

/// A refused login: 500 with a short body that is not JSON.
async fn assert_login_refused(r: Response) {
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(!ct.contains("json"), "content type {ct}");
    let body = r.text().await.unwrap();
    assert!(!body.is_empty() && body.len() < 200, "body {body:?}");
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
}

#[tokio::test]
async fn every_login_form_returns_a_working_sid() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let by_query = ld.login("alice", ALICE).await;
    let by_json = ld.post("/auth/login");
    let by_json = sid_of(
        by_json
            .json(&json!({ "username": "bob", "password": BOB }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let form = [("username", "carol"), ("password", CAROL)];
    let by_form = sid_of(ld.post("/auth/loginForm").form(&form).send().await.unwrap()).await;
    let by_old_form = sid_of(ld.post("/auth/login").form(&form).send().await.unwrap()).await;
    let by_key = ld.get("/auth/loginApiKey").header("X-API-KEY", ALICE);
    let by_key = sid_of(by_key.send().await.unwrap()).await;
    let sids = [by_query, by_json, by_form, by_old_form, by_key];
    for sid in &sids {
        assert_current_sid(&ld, sid).await;
    }
    let distinct: std::collections::HashSet<_> = sids.iter().collect();
    assert_eq!(
        distinct.len(),
        sids.len(),
        "each login opens its own session"
    );
}

#[tokio::test]
async fn bad_logins_are_500_without_json() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let attempts = [
        ld.get("/auth/login").query(&[("u", "alice"), ("pw", BOB)]),
        ld.get("/auth/login")
            .query(&[("u", "nobody"), ("pw", ALICE)]),
        ld.get("/auth/login").query(&[("u", "alice"), ("pw", "")]),
        ld.get("/auth/login").query(&[("u", "alice")]),
        ld.post("/auth/login")
            .json(&json!({ "username": "alice", "password": "x" })),
        ld.post("/auth/login").body("not json"),
        ld.post("/auth/loginForm")
            .form(&[("username", "ALICE"), ("password", ALICE)]),
        ld.get("/auth/loginApiKey").header("X-API-KEY", "not-a-key"),
        ld.get("/auth/loginApiKey"),
    ];
    for attempt in attempts {
        assert_login_refused(attempt.send().await.unwrap()).await;
    }
}

#[tokio::test]
async fn the_session_middleware_accepts_basic_sid_cookie_and_api_key() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let basic = || ld.get("/auth/getSid").basic_auth("alice", Some(ALICE));
    let r = basic().send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let implicit = r.text().await.unwrap();
    let again = basic().send().await.unwrap().text().await.unwrap();
    assert_eq!(again, implicit, "Basic calls reuse one session per user");
    assert_current_sid(&ld, &implicit).await;
    let by_key = ld.get("/auth/getSid").header("X-API-KEY", ALICE);
    let by_key = by_key.send().await.unwrap();
    assert_eq!(by_key.status(), StatusCode::OK);
    assert_eq!(by_key.text().await.unwrap(), implicit);
    let sid = ld.login("bob", BOB).await;
    let cookie = ld
        .get("/auth/getSid")
        .header("cookie", format!("a=b; ldoc-sid={sid}"));
    let cookie = cookie.send().await.unwrap();
    assert_eq!(cookie.status(), StatusCode::OK);
    assert_eq!(cookie.text().await.unwrap(), sid);
    let r = ld.get("/auth/renewcurrent").header("sid", &sid);
    assert_eq!(r.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    let r = ld.get("/auth/renew").query(&[("sid", &sid)]);
    assert_eq!(r.send().await.unwrap().status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn missing_or_bad_credentials_are_401_with_a_basic_challenge() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let sid = ld.login("alice", ALICE).await;
    let refused = [
        ld.get("/auth/getSid"),
        ld.get("/auth/renewcurrent"),
        ld.get("/auth/getSid")
            .header("sid", "00000000-0000-4000-8000-000000000000"),
        ld.get("/auth/getSid").header("cookie", "ldoc-sid=nope"),
        ld.get("/auth/getSid").header("X-API-KEY", "not-a-key"),
        ld.get("/auth/getSid").basic_auth("alice", Some(BOB)),
        ld.get("/auth/getSid").basic_auth("nobody", Some(ALICE)),
        ld.get("/auth/getSid")
            .header("authorization", format!("Bearer {ALICE}")),
        // `?sid=` is no credential outside the sid-taking auth calls (acceptsid=false).
        ld.get("/auth/getSid").query(&[("sid", &sid)]),
        ld.get("/auth/renewcurrent").query(&[("sid", &sid)]),
        ld.get("/auth/renew").query(&[("sid", "nope")]),
        ld.get("/auth/renew"),
    ];
    for r in refused {
        assert_unauthorized(r.send().await.unwrap()).await;
    }
    assert_current_sid(&ld, &sid).await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let sid = ld.login("alice", ALICE).await;
    let other = ld.login("alice", ALICE).await;
    let logout = || ld.http.delete(format!("{}/auth/logout", ld.base));
    let r = logout().query(&[("sid", &sid)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_unauthorized(ld.get_sid(&sid).await).await;
    assert_unauthorized(
        ld.get("/auth/renew")
            .query(&[("sid", &sid)])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_current_sid(&ld, &other).await;
    let again = logout().query(&[("sid", &sid)]).send().await.unwrap();
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "logout is idempotent"
    );
}

#[tokio::test]
async fn idle_sessions_expire_and_used_ones_do_not() {
    let s = Server::start_with(&["--ld-session-timeout", "1"]);
    let ld = Ld::new(&s);
    let idle = ld.login("alice", ALICE).await;
    let busy = ld.login("alice", ALICE).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_current_sid(&ld, &busy).await;
    }
    assert_unauthorized(ld.get_sid(&idle).await).await;
    let r = ld.get("/auth/renew").query(&[("sid", &idle)]);
    assert_unauthorized(r.send().await.unwrap()).await;
}

#[tokio::test]
async fn other_service_paths_are_empty_404s_and_wrong_verbs_405() {
    let s = Server::start();
    let ld = Ld::new(&s);
    for path in ["/folder/nothingHere", "/auth/nothing", ""] {
        let r = ld
            .get(path)
            .basic_auth("alice", Some(ALICE))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(r.headers().get("x-amzn-errortype").is_none());
        assert_eq!(r.text().await.unwrap(), "");
    }
    let r = ld.post("/auth/getSid").basic_auth("alice", Some(ALICE));
    assert_eq!(
        r.send().await.unwrap().status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    let r = ld
        .http
        .put(format!("{}/auth/login", ld.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn logs_never_show_passwords_keys_or_sids() {
    let s = Server::start();
    let ld = Ld::new(&s);
    let sid = ld.login("alice", ALICE).await;
    let form = [("username", "bob"), ("password", BOB)];
    let bob = sid_of(ld.post("/auth/loginForm").form(&form).send().await.unwrap()).await;
    let key = ld.get("/auth/loginApiKey").header("X-API-KEY", CAROL);
    let carol = sid_of(key.send().await.unwrap()).await;
    let bad = ld
        .get("/auth/login")
        .query(&[("u", "alice"), ("pw", "wrong-password-value")]);
    bad.send().await.unwrap();
    let r = ld
        .http
        .delete(format!("{}/auth/logout", ld.base))
        .query(&[("sid", &bob)]);
    r.send().await.unwrap();
    assert_current_sid(&ld, &sid).await;
    let log = s.log();
    assert!(
        log.contains("/services/rest/auth/login"),
        "requests are logged: {log}"
    );
    for secret in [
        ALICE,
        BOB,
        CAROL,
        "wrong-password-value",
        &sid,
        &bob,
        &carol,
    ] {
        assert!(!log.contains(secret), "the log shows {secret:?}");
    }
}
