//! Console pages of accounts: login (password, second step, required enrolment), logout, users and roles,
//! the user's own two-step verification.

use crate::accounts::refusals::AccountRefusal;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/login/code", post(login_code))
        .route("/admin/login/enrol", post(login_enrol))
        .route("/admin/security", get(security))
        .route("/admin/security/enrol", post(security_enrol))
        .route("/admin/security/confirm", post(security_confirm))
        .route("/admin/security/disable", post(security_disable))
        .route("/admin/security/policy", post(security_policy))
        .route("/admin/logout", post(logout))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", post(update_user))
        .route("/admin/users/role", post(change_role))
        .route("/admin/users/{id}/two-factor-reset", post(reset_two_factor))
}

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    c: Ctx,
    next: String,
    error: String,
    demo: bool,
    /// `password`, `code` (the second step), `enrol` (required enrolment) or `codes` (recovery codes).
    step: &'static str,
    challenge: String,
    enrol: Option<EnrolView>,
    recovery: Vec<String>,
}

impl LoginPage {
    fn new(c: Ctx, st: &AppState, next: String) -> LoginPage {
        LoginPage {
            c,
            next,
            error: String::new(),
            demo: st.cfg.sandbox,
            step: "password",
            challenge: String::new(),
            enrol: None,
            recovery: vec![],
        }
    }
    fn with_status(self, status: StatusCode) -> Response {
        let mut r = self.render_page();
        *r.status_mut() = status;
        r
    }
}

/// An enrolment under way, as shown: the QR code, the key in groups of four, where to confirm.
pub struct EnrolView {
    qr_data_url: String,
    secret_grouped: String,
    action: &'static str,
    /// The enrolment-only token of a login that requires enrolment (empty on the security page).
    token: String,
    next: String,
    error: String,
}

impl EnrolView {
    fn new(e: &atf::EnrolmentStart, action: &'static str) -> EnrolView {
        use base64::Engine;
        let svg = e.qr_svg.split_once("?>").map(|(_, rest)| rest).unwrap_or(&e.qr_svg);
        let b64 = base64::engine::general_purpose::STANDARD.encode(svg.trim().as_bytes());
        let chars: Vec<char> = e.secret.chars().collect();
        let secret_grouped = chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ");
        EnrolView {
            qr_data_url: format!("data:image/svg+xml;base64,{b64}"),
            secret_grouped,
            action,
            token: String::new(),
            next: String::new(),
            error: String::new(),
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(st): State<AppState>, c: Ctx, WebQuery(q): WebQuery<NextQuery>) -> WebResult {
    let next = crate::web::safe_next(q.next.as_deref(), "/admin");
    Ok(LoginPage::new(c, &st, next).render_page())
}

/// Carry the session cookie of an API answer over to a page answer.
fn with_cookies(from: &Response, mut to: Response) -> Response {
    for v in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    to
}

fn login_refusal(c: &Ctx, e: &ApiError) -> String {
    match e.status {
        StatusCode::TOO_MANY_REQUESTS => c.t("admin.too_many_logins").to_string(),
        StatusCode::UNAUTHORIZED => c.t("admin.wrong_login").to_string(),
        _ => e.message(c.lang),
    }
}

async fn login(
    State(st): State<AppState>,
    c: Ctx,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = admin_auth::LoginRequest { username: f.get("username").into(), password: f.get("password").into() };
    let next = crate::web::safe_next(f.opt("next"), "/admin");
    match crate::accounts::sessions::login(&st, peer.0, &headers, req).await {
        Ok(resp) if resp.status() == StatusCode::ACCEPTED => {
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.map_err(ApiError::internal)?;
            let step: atf::LoginStep = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
            let mut p = LoginPage::new(c, &st, next.clone());
            if step.code == "two_factor_enrolment_required" {
                let me = atf::Enroller::from_enrol_token(&st, &step.challenge).await?;
                let e = crate::accounts::two_factor_cases::start_enrolment(&st, &me).await?;
                let mut view = EnrolView::new(&e, "/admin/login/enrol");
                view.token = step.challenge;
                view.next = next;
                p.step = "enrol";
                p.enrol = Some(view);
            } else {
                p.step = "code";
                p.challenge = step.challenge;
            }
            Ok(p.render_page())
        }
        Ok(resp) => Ok(with_cookies(&resp, Redirect::to(&next).into_response())),
        Err(e) => {
            let mut p = LoginPage::new(c, &st, next);
            p.error = login_refusal(&p.c, &e);
            Ok(p.with_status(e.status))
        }
    }
}

async fn login_code(
    State(st): State<AppState>,
    c: Ctx,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let next = crate::web::safe_next(f.opt("next"), "/admin");
    let req = atf::LoginCodeRequest { challenge: f.get("challenge").into(), code: f.get("code").into() };
    match crate::accounts::two_factor_cases::login_code(&st, peer.0, &headers, req).await {
        Ok(resp) => Ok(with_cookies(&resp, Redirect::to(&next).into_response())),
        Err(e) => {
            let mut p = LoginPage::new(c, &st, next);
            if e.field.as_deref() == Some("code") {
                p.step = "code";
                p.challenge = f.get("challenge").into();
                p.error = p.c.t("tfa.wrong_code").into();
            } else if e.status == StatusCode::UNAUTHORIZED {
                p.error = p.c.t("tfa.expired").into();
            } else {
                p.error = login_refusal(&p.c, &e);
            }
            Ok(p.with_status(e.status))
        }
    }
}

async fn login_enrol(
    State(st): State<AppState>,
    c: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let next = crate::web::safe_next(f.opt("next"), "/admin");
    let token = f.get("token").to_string();
    let mut p = LoginPage::new(c, &st, next.clone());
    let me = match atf::Enroller::from_enrol_token(&st, &token).await {
        Ok(me) => me,
        Err(e) => {
            p.error = p.c.t("tfa.expired").into();
            return Ok(p.with_status(e.status));
        }
    };
    match atf::confirm(&st, &me, &atf::client_ip(&st, peer, &headers), &headers, f.get("code")).await {
        Ok((done, cookie)) => {
            p.step = "codes";
            p.recovery = done.recovery_codes;
            let mut r = p.render_page();
            if let Some(cookie) = cookie {
                r.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(r)
        }
        Err(e) => {
            let Some(pending) = atf::pending_enrolment(&st, &me).await? else {
                p.error = p.c.t("tfa.expired").into();
                return Ok(p.with_status(e.status));
            };
            let mut view = EnrolView::new(&pending, "/admin/login/enrol");
            view.token = token;
            view.next = next;
            view.error = p.c.t("tfa.wrong_code").into();
            p.step = "enrol";
            p.enrol = Some(view);
            Ok(p.with_status(e.status))
        }
    }
}

async fn logout(State(st): State<AppState>, Console(a): Console<Session>, headers: HeaderMap) -> WebResult {
    let resp = crate::accounts::sessions::logout(&st, &a, &headers).await?;
    let mut r = Redirect::to("/admin/login").into_response();
    for v in resp.headers().get_all(header::SET_COOKIE) {
        r.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    Ok(r)
}

// ---- dashboard ------------------------------------------------------------------------------------

async fn users(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageUsers>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let list = crate::accounts::users::list_users(
        &st,
        &a,
        c.lang,
        au::UserListQuery { page: Some(page), page_size: Some(50), role: None },
    )
    .await?;
    let mut p =
        ListPage::new(c, &a, "menu.users").heads(&["user.username", "user.display", "user.role", "user.state", "", ""]);
    let roles: Vec<(String, String)> =
        Role::ALL.iter().map(|r| (r.as_str().to_string(), role_label(&p.c, *r))).collect();
    p.intro = p.c.t("user.intro").into();
    p.forms.push(Form {
        id: "new-user",
        title: p.c.t("user.new").into(),
        action: "/admin/users".into(),
        method: "post",
        fields: vec![
            Field::text("username", p.c.t("user.username"), ""),
            Field::text("display_name", p.c.t("user.display"), ""),
            Field::kind("password", p.c.t("user.password"), "password", ""),
            Field::select("role", p.c.t("user.role"), "operator", roles.clone()),
        ],
        submit: p.c.t("common.add").into(),
    });
    let others: Vec<(String, String)> = list
        .items
        .iter()
        .filter(|u| u.id != a.id)
        .map(|u| (u.id.to_string(), format!("{} ({})", u.username, u.display_name)))
        .collect();
    p.forms.push(Form {
        id: "change-role",
        title: p.c.t("user.change_role").into(),
        action: "/admin/users/role".into(),
        method: "post",
        fields: vec![
            Field::select("id", p.c.t("user.username"), "", others),
            Field::select("role", p.c.t("user.role"), "operator", roles.clone()),
        ],
        submit: p.c.t("common.save").into(),
    });
    let two_factor = st.store.two_factor_admin_ids(a.merchant_id).await?;
    for u in &list.items {
        let me = u.id == a.id;
        p.rows.push(vec![
            Cell::text(&u.username),
            Cell::text(&u.display_name),
            Cell::text(u.role.parse::<Role>().map(|r| role_label(&p.c, r)).unwrap_or_default()),
            if u.disabled {
                Cell::tag(p.c.t("user.disabled"), "muted")
            } else {
                Cell::tag(p.c.t("user.enabled"), "ok")
            },
            if me {
                Cell::text("")
            } else if u.disabled {
                Cell::button(format!("/admin/users/{}?disabled=0", u.id), p.c.t("user.enable"))
            } else {
                Cell::button(format!("/admin/users/{}?disabled=1", u.id), p.c.t("user.disable"))
            },
            if !me && two_factor.contains(&u.id) {
                Cell::button(format!("/admin/users/{}/two-factor-reset", u.id), p.c.t("tfa.reset"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/users", page, 50, list.total));
    ok(p)
}

async fn create_user(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = au::CreateUserRequest {
        username: f.get("username").into(),
        display_name: f.opt("display_name").map(String::from),
        password: f.get("password").into(),
        role: f.get("role").into(),
    };
    let _ = crate::accounts::users::create_user(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/users")
}

#[derive(Deserialize)]
struct UserChange {
    disabled: Option<String>,
    role: Option<String>,
}

async fn update_user(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<UserChange>,
    headers: HeaderMap,
) -> WebResult {
    let req = au::UpdateUserRequest { role: q.role, disabled: q.disabled.map(|d| d == "1") };
    let _ = crate::accounts::users::update_user(&st, &a, &Call::from_headers(&headers), id, req).await?;
    back("/admin/users")
}

async fn change_role(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let id = f.int("id").ok_or_else(|| ApiError::invalid_because("id", &AccountRefusal::ChooseUser))?;
    let req = au::UpdateUserRequest { role: f.opt("role").map(String::from), disabled: None };
    let _ = crate::accounts::users::update_user(&st, &a, &Call::from_headers(&headers), id, req).await?;
    back("/admin/users")
}

#[derive(Template)]
#[template(path = "admin/security.html")]
struct SecurityPage {
    c: Ctx,
    nav: Nav,
    error: String,
    enabled: bool,
    must_enrol: bool,
    codes_left: i64,
    owner: bool,
    owner_required: bool,
    enrol: Option<EnrolView>,
    recovery: Vec<String>,
}

async fn security_page(st: &AppState, c: Ctx, a: &AdminUser) -> Result<SecurityPage, WebError> {
    let me = atf::Enroller::from(a.clone());
    let s = atf::status_of(st, &me).await?;
    let nav = nav(&c, a);
    Ok(SecurityPage {
        c,
        nav,
        error: String::new(),
        enabled: s.enabled,
        must_enrol: s.must_enrol,
        codes_left: s.recovery_codes_left,
        owner: a.role == Role::Owner,
        owner_required: s.owner_required,
        enrol: None,
        recovery: vec![],
    })
}

fn refused(mut p: SecurityPage, status: StatusCode, error: String) -> WebResult {
    p.error = error;
    let mut r = p.render_page();
    *r.status_mut() = status;
    Ok(r)
}

async fn security(State(st): State<AppState>, c: Ctx, Console(a): Console<Session>) -> WebResult {
    Ok(security_page(&st, c, &a).await?.render_page())
}

async fn security_enrol(State(st): State<AppState>, c: Ctx, Console(a): Console<Session>) -> WebResult {
    let mut p = security_page(&st, c, &a).await?;
    match crate::accounts::two_factor_cases::start_enrolment(&st, &atf::Enroller::from(a.user.clone())).await {
        Ok(e) => {
            p.enrol = Some(EnrolView::new(&e, "/admin/security/confirm"));
            Ok(p.render_page())
        }
        Err(e) => {
            let msg = p.c.t("tfa.already_on").to_string();
            refused(p, e.status, msg)
        }
    }
}

async fn security_confirm(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let me = atf::Enroller::from(a.user.clone());
    match atf::confirm(&st, &me, &atf::client_ip(&st, peer, &headers), &headers, f.get("code")).await {
        Ok((done, _)) => {
            let mut p = security_page(&st, c, &a).await?;
            p.recovery = done.recovery_codes;
            Ok(p.render_page())
        }
        Err(e) => {
            let mut p = security_page(&st, c, &a).await?;
            if let Some(pending) = atf::pending_enrolment(&st, &me).await? {
                let mut view = EnrolView::new(&pending, "/admin/security/confirm");
                view.error = p.c.t("tfa.wrong_code").into();
                p.enrol = Some(view);
                let mut r = p.render_page();
                *r.status_mut() = e.status;
                return Ok(r);
            }
            let msg = p.c.t("tfa.already_on").to_string();
            refused(p, e.status, msg)
        }
    }
}

async fn security_disable(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = atf::CodeRequest { code: f.get("code").into() };
    match crate::accounts::two_factor_cases::disable(&st, &a, peer.0, &headers, req).await {
        Ok(_) => back("/admin/security"),
        Err(e) => {
            let p = security_page(&st, c, &a).await?;
            let msg = match e.status {
                StatusCode::TOO_MANY_REQUESTS => p.c.t("admin.too_many_logins").to_string(),
                _ => p.c.t("tfa.wrong_code").to_string(),
            };
            refused(p, e.status, msg)
        }
    }
}

async fn security_policy(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = atf::TwoFactorPolicy { owner_required: f.get("owner_required") == "1" };
    match crate::accounts::two_factor_cases::put_policy(&st, &a, &Call::from_headers(&headers), req).await {
        Ok(_) => back("/admin/security"),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let p = security_page(&st, c, &a).await?;
            let msg = p.c.t("tfa.policy_needs_self").to_string();
            refused(p, e.status, msg)
        }
        Err(e) => Err(e.into()),
    }
}

async fn reset_two_factor(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> WebResult {
    crate::accounts::two_factor_cases::reset(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/users")
}
