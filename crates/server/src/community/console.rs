//! The console's 社群 pages: the groups with their figures and the form that adds one; a group's page with its
//! figures, QR code and join link, its settings, members-only coupons, pushes and members.

use super::cases::{
    self, CommunityCouponInput, CommunityGroupDto, CommunityGroupInput, CommunityGroupQuery, CommunityGroupStatus,
    CommunityMemberDto, CommunityPushDto, CommunityPushInput, CommunityPushKind,
};
use crate::accounts::auth::ManageMembers;
use crate::web::console::prelude::*;
use minimall_core::social::community::PushKind;
use minimall_store::promotions::CouponTemplateRow;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/community", get(list_page).post(create))
        .route("/admin/community/{id}", get(group_page).post(update))
        .route("/admin/community/{id}/qr.svg", get(qr_svg))
        .route("/admin/community/{id}/coupons", post(link_coupon))
        .route("/admin/community/{id}/coupons/{tid}/unlink", post(unlink_coupon))
        .route("/admin/community/{id}/pushes", post(push))
}

const PAGE_SIZE: i64 = 20;

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

fn money_or_dash(v: Option<i64>) -> String {
    v.map(view::yuan).unwrap_or_else(|| "-".into())
}

async fn list_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    ok(list_view(&st, c, &a, q, None).await?)
}

fn group_form(
    c: &Ctx,
    id: &'static str,
    action: String,
    g: Option<&CommunityGroupDto>,
    refused: &Option<FormRefusal<'_>>,
) -> Form {
    let typed = |name: &str, v: String| FormRefusal::value(refused, name, v);
    let mut fields = vec![
        Field::text("name", c.t("comm.name"), typed("name", g.map(|g| g.name.clone()).unwrap_or_default())),
        Field::kind("note", c.t("comm.note"), "textarea", typed("note", g.map(|g| g.note.clone()).unwrap_or_default())),
        Field::text(
            "owner_code",
            c.t("comm.owner_code"),
            typed("owner_code", g.and_then(|g| g.owner.as_ref()).map(|o| o.code.clone()).unwrap_or_default()),
        ),
    ];
    if let Some(g) = g {
        fields.push(Field::select(
            "status",
            c.t("comm.status"),
            typed("status", g.status.as_str().into()),
            ["active", "closed"].iter().map(|s| ((*s).to_string(), c.label("community-status", s))).collect(),
        ));
    }
    Form {
        id,
        title: c.t(if g.is_some() { "comm.edit" } else { "comm.create" }).into(),
        action,
        method: "post",
        fields,
        submit: c.t(if g.is_some() { "common.save" } else { "comm.create" }).into(),
    }
}

async fn list_view(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    q: ListQuery,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let list = cases::list(
        st,
        a,
        &CommunityGroupQuery {
            status: Some(status.clone()).filter(|s| !s.is_empty()),
            page: Some(page),
            page_size: Some(PAGE_SIZE),
        },
    )
    .await?;
    let mut p = ListPage::new(c, a, "menu.community").heads(&[
        "comm.name",
        "comm.owner",
        "comm.status",
        "comm.members",
        "comm.buyers",
        "comm.orders",
        "comm.gmv",
        "comm.commission",
        "comm.created_at",
    ]);
    p.intro = p.c.t("comm.intro").into();
    let mut options = vec![(String::new(), p.c.t("common.all").to_string())];
    options.extend(["active", "closed"].iter().map(|s| ((*s).to_string(), p.c.label("community-status", s))));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/community".into(),
        method: "get",
        fields: vec![Field::select("status", p.c.t("comm.status"), status.clone(), options)],
        submit: p.c.t("common.filter").into(),
    });
    for g in &list.items {
        p.rows.push(vec![
            Cell::link(g.name.clone(), format!("/admin/community/{}", g.id)),
            Cell::text(g.owner.as_ref().map(|o| o.nickname.clone()).unwrap_or_else(|| "-".into())),
            Cell::tag(
                p.c.label("community-status", g.status.as_str()),
                if g.status == CommunityGroupStatus::Active { "ok" } else { "" },
            ),
            Cell::num(g.figures.members.to_string()),
            Cell::num(g.figures.buyers.to_string()),
            Cell::num(g.figures.orders.to_string()),
            Cell::num(money_or_dash(g.figures.gmv)),
            Cell::num(money_or_dash(g.figures.commission)),
            Cell::text(view::beijing_time(g.created_at)),
        ]);
    }
    p.pager =
        Some(Pager::new(&view::with_query("/admin/community", &[("status", status)]), page, PAGE_SIZE, list.total));
    if may(a, Permission::ManageMembers) {
        let mut f = group_form(&p.c, "community-new", "/admin/community".into(), None, &refused);
        if let Some(r) = refused {
            r.place(&mut f.fields, &mut p.error);
        }
        p.forms.push(f);
    }
    Ok(p)
}

fn group_input(f: &Fields) -> CommunityGroupInput {
    let opt = |k: &str| f.opt(k).map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    CommunityGroupInput {
        name: f.get("name").to_string(),
        note: opt("note"),
        owner_code: opt("owner_code"),
        status: match f.get("status") {
            "closed" => Some(CommunityGroupStatus::Closed),
            "active" => Some(CommunityGroupStatus::Active),
            _ => None,
        },
    }
}

fn reader_of(a: &Admin<ManageMembers>) -> Result<Admin<ReadBuyers>, ApiError> {
    Admin::<ReadBuyers>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden_because(&crate::error::ApiReason::PageNeedsBuyers))
}

async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let r = cases::create(&st, &a, &Call::from_headers(&headers), &group_input(&f)).await;
    let e = match r {
        Ok(g) => return back(&format!("/admin/community/{}?saved=1", g.id)),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => e,
        Err(e) => return Err(e.into()),
    };
    let reader = reader_of(&a)?;
    let refused = FormRefusal { typed: &f, field: e.field.clone(), message: refusal_message(&c, &e) };
    refused_page(list_view(&st, c, &reader, ListQuery { status: None, page: None }, Some(refused)).await?, e.status)
}

// ---- a group's page ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/community.html")]
struct GroupPage {
    c: Ctx,
    nav: Nav,
    g: CommunityGroupDto,
    saved: bool,
    error: String,
    may_manage: bool,
    /// The join link in full, as the QR code carries it.
    join_url: String,
    coupons: Vec<crate::promotions::shop_api::CouponTemplateDto>,
    pushes: Vec<CommunityPushDto>,
    members: Vec<CommunityMemberDto>,
    pager: Pager,
    forms: Vec<Form>,
}

#[derive(Deserialize)]
struct GroupQueryPage {
    page: Option<i64>,
    saved: Option<String>,
}

async fn group_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<GroupQueryPage>,
) -> WebResult {
    Ok(group_view(&st, c, &a, id, q, None).await?.render_page())
}

/// Active coupon templates to link, as select options.
fn coupon_options(c: &Ctx, rows: &[CouponTemplateRow], linked: &[i64]) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), c.t("comm.pick_coupon").to_string())];
    out.extend(
        rows.iter()
            .filter(|t| t.status == "active" && !linked.contains(&t.id))
            .map(|t| (t.id.to_string(), format!("{} (#{})", t.name, t.id))),
    );
    out
}

async fn group_view(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    id: i64,
    q: GroupQueryPage,
    refused: Option<(FormRefusal<'_>, &'static str)>,
) -> Result<GroupPage, WebError> {
    let g = cases::get(st, a, id).await?;
    let page = q.page.unwrap_or(1).max(1);
    let members = cases::members(st, a, id, &PageQuery { page: Some(page), page_size: Some(PAGE_SIZE) }).await?;
    let coupons = cases::coupons(st, a, id).await?;
    let pushes = cases::admin_pushes(st, a, id, &PageQuery { page: Some(1), page_size: Some(20) }).await?;
    let may_manage = may(a, Permission::ManageMembers);
    let mut error = String::new();
    let mut forms = Vec::new();
    if may_manage {
        let (r, which) = match refused {
            Some((r, w)) => (Some(r), w),
            None => (None, ""),
        };
        let none: Option<FormRefusal<'_>> = None;
        let here = |w: &str| if which == w { &r } else { &none };
        let mut edit = group_form(&c, "community-edit", format!("/admin/community/{id}"), Some(&g), here("edit"));
        let templates = st.store.list_coupon_templates(a.merchant_id, false, 100, 0).await?.items;
        let linked: Vec<i64> = coupons.iter().map(|t| t.id).collect();
        let mut link = Form {
            id: "community-coupon",
            title: c.t("comm.link_coupon").into(),
            action: format!("/admin/community/{id}/coupons"),
            method: "post",
            fields: vec![Field::select(
                "template_id",
                c.t("comm.coupon"),
                String::new(),
                coupon_options(&c, &templates, &linked),
            )],
            submit: c.t("comm.link").into(),
        };
        let typed = |name: &str, v: String| FormRefusal::value(here("push"), name, v);
        let mut push = Form {
            id: "community-push",
            title: c.t("comm.push").into(),
            action: format!("/admin/community/{id}/pushes"),
            method: "post",
            fields: vec![
                Field::select(
                    "kind",
                    c.t("comm.push_kind"),
                    typed("kind", "flash_sale".into()),
                    PushKind::ALL.iter().map(|k| (k.code().to_string(), c.label("community-push", k.code()))).collect(),
                ),
                Field::kind("target_id", c.t("comm.push_target"), "number", typed("target_id", String::new())),
                Field::kind("note", c.t("comm.push_note"), "textarea", typed("note", String::new())),
            ],
            submit: c.t("comm.push_send").into(),
        };
        if let Some(r) = r {
            match which {
                "edit" => r.place(&mut edit.fields, &mut error),
                "push" => r.place(&mut push.fields, &mut error),
                _ => r.place(&mut link.fields, &mut error),
            }
        }
        forms.push(edit);
        forms.push(link);
        forms.push(push);
    }
    let join_url = format!("{}{}", st.self_url.get().map(String::as_str).unwrap_or_default(), g.join_path);
    let nav = nav(&c, a);
    let pager = Pager::new(&format!("/admin/community/{id}"), page, PAGE_SIZE, members.total);
    Ok(GroupPage {
        c,
        nav,
        g,
        saved: q.saved.is_some(),
        error,
        may_manage,
        join_url,
        coupons,
        pushes: pushes.items,
        members: members.items,
        pager,
        forms,
    })
}

/// The group's page again with a refusal on the form `which` (edit, coupon, push).
async fn refused_group(
    st: &AppState,
    c: Ctx,
    a: &Admin<ManageMembers>,
    id: i64,
    f: &Fields,
    e: ApiError,
    which: &'static str,
) -> WebResult {
    let reader = reader_of(a)?;
    let refused = FormRefusal { typed: f, field: e.field.clone(), message: refusal_message(&c, &e) };
    let q = GroupQueryPage { page: None, saved: None };
    let mut r = group_view(st, c, &reader, id, q, Some((refused, which))).await?.render_page();
    *r.status_mut() = e.status;
    Ok(r)
}

async fn after<T>(
    st: &AppState,
    c: Ctx,
    a: &Admin<ManageMembers>,
    id: i64,
    f: &Fields,
    r: Result<T, ApiError>,
    which: &'static str,
) -> WebResult {
    match r {
        Ok(_) => back(&format!("/admin/community/{id}?saved=1")),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            refused_group(st, c, a, id, f, e, which).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn update(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let r = cases::update(&st, &a, &Call::from_headers(&headers), id, &group_input(&f)).await;
    after(&st, c, &a, id, &f, r, "edit").await
}

async fn link_coupon(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let r = match whole_number(&f, "template_id") {
        Ok(t) => {
            cases::link_coupon(&st, &a, &Call::from_headers(&headers), id, &CommunityCouponInput { template_id: t })
                .await
        }
        Err(e) => Err(e),
    };
    after(&st, c, &a, id, &f, r, "coupon").await
}

async fn unlink_coupon(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath((id, tid)): WebPath<(i64, i64)>,
) -> WebResult {
    cases::unlink_coupon(&st, &a, &Call::from_headers(&headers), id, tid).await?;
    back(&format!("/admin/community/{id}?saved=1"))
}

async fn push(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let kind = match f.get("kind") {
        "coupon" => CommunityPushKind::Coupon,
        "product" => CommunityPushKind::Product,
        _ => CommunityPushKind::FlashSale,
    };
    let r = match whole_number(&f, "target_id") {
        Ok(t) => {
            let note = Some(f.get("note").to_string()).filter(|n| !n.trim().is_empty());
            cases::push(&st, &a, &Call::from_headers(&headers), id, &CommunityPushInput { kind, target_id: t, note })
                .await
        }
        Err(e) => Err(e),
    };
    after(&st, c, &a, id, &f, r, "push").await
}

async fn qr_svg(State(st): State<AppState>, Console(a): Console<ReadBuyers>, WebPath(id): WebPath<i64>) -> WebResult {
    let (_, m) = cases::qr(&st, &a, id).await?;
    Ok((
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "private, max-age=600")],
        crate::share::qr::svg(&m),
    )
        .into_response())
}
