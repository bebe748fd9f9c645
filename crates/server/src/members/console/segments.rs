//! Console pages of segments (人群) and tags.

use super::super::segments::{self as seg, SegmentInput, TagInput};
use super::{channel_label, level_options, managing, reader, stage_label, stage_options, ListQuery};
use crate::accounts::auth::ManageMembers;
use crate::error::ApiReason;
use crate::usecase::Call;
use crate::web::console::prelude::*;

pub(super) async fn segments(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    segments_page(&st, c, &a, q.page.unwrap_or(1).max(1), None).await
}

pub(super) async fn segments_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    page: i64,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let rules = crate::members::rules(st, a.merchant_id).await?;
    let tags = st.store.member_tags(a.merchant_id, 100, 0).await?.items;
    let list = seg::segments(st, a, minimall_core::page::Page::parse(Some(page), Some(20))?).await?;
    let mut p =
        ListPage::new(c, a, "menu.segments").heads(&["common.id", "seg.name", "seg.count", "seg.conditions", "", ""]);
    p.intro = p.c.t("seg.intro").into();
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    let may_edit = managing(a).is_some();
    for s in &list.items {
        let f = &s.filter;
        let mut parts = Vec::new();
        for id in &f.level_ids {
            parts.push(rules.level(Some(*id)).map(|l| l.name.clone()).unwrap_or_else(|| p.c.t("mem.no_level").into()));
        }
        for st_ in &f.stages {
            parts.push(stage_label(&p.c, st_));
        }
        for t in &f.tag_ids {
            if let Some(t) = tags.iter().find(|x| x.id == *t) {
                parts.push(format!("#{}", t.name));
            }
        }
        if let Some(m) = f.min_spend_fen {
            parts.push(format!("{} ≥ {}", p.c.t("mem.spend"), view::yuan(m)));
        }
        if let Some(d) = f.idle_days {
            parts.push(format!("{} ≥ {d}", p.c.t("mem.idle_days")));
        }
        if let Some(d) = f.ordered_within_days {
            parts.push(format!("{} ≤ {d}", p.c.t("seg.ordered_within")));
        }
        parts.extend(f.regions.iter().cloned());
        parts.extend(f.channels.iter().map(|ch| channel_label(&p.c, ch)));
        let link = view::with_query(
            "/admin/members",
            &[
                ("level", f.level_ids.first().map(|v| v.to_string()).unwrap_or_default()),
                ("stage", f.stages.first().cloned().unwrap_or_default()),
                ("tag", f.tag_ids.first().map(|v| v.to_string()).unwrap_or_default()),
                ("min_spend", f.min_spend_fen.map(|v| p.c.yv(v)).unwrap_or_default()),
                ("idle_days", f.idle_days.map(|v| v.to_string()).unwrap_or_default()),
            ],
        );
        p.rows.push(vec![
            Cell::num(s.id.to_string()),
            Cell::link(&s.name, link),
            Cell::num(s.count.to_string()),
            Cell::text(if parts.is_empty() { p.c.t("seg.everyone").to_string() } else { parts.join(" · ") }),
            Cell::link(p.c.t("seg.export"), format!("/api/v1/admin/segments/{}/export", s.id)),
            if may_edit {
                Cell::button(format!("/admin/segments/{}/delete", s.id), p.c.t("common.delete"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/segments", page, 20, list.total));
    if may_edit {
        let mut tag_options = vec![(String::new(), p.c.t("common.all").to_string())];
        tag_options.extend(tags.iter().map(|t| (t.id.to_string(), t.name.clone())));
        let v = |name: &str| FormRefusal::value(&refused, name, String::new());
        let fields = vec![
            Field::text("name", p.c.t("seg.name"), v("name")),
            Field::select("level", p.c.t("mem.level"), v("level"), level_options(&p.c, &rules.levels)),
            Field::select("stage", p.c.t("mem.stage"), v("stage"), stage_options(&p.c)),
            Field::select("tag", p.c.t("mem.tag"), v("tag"), tag_options),
            Field::text("min_spend", p.c.t("mem.min_spend"), v("min_spend")),
            Field::kind("idle_days", p.c.t("mem.idle_days"), "number", v("idle_days")),
            Field::kind("ordered_within_days", p.c.t("seg.ordered_within"), "number", v("ordered_within_days")),
            Field::text("region", p.c.t("mem.region"), v("region")),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "new-segment", "seg.new", "/admin/segments".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

pub(super) async fn create_segment(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let q = ListQuery {
        page: None,
        level: Some(f.get("level").into()),
        stage: Some(f.get("stage").into()),
        tag: Some(f.get("tag").into()),
        min_spend: Some(f.get("min_spend").into()),
        idle_days: Some(f.get("idle_days").into()),
    };
    let result = async {
        let mut filter = q.filter()?;
        let within = f.get("ordered_within_days").trim();
        if !within.is_empty() {
            filter.ordered_within_days = Some(
                within
                    .parse()
                    .map_err(|_| ApiError::invalid_because("ordered_within_days", &ApiReason::WholeNumber))?,
            );
        }
        let region = f.get("region").trim();
        if !region.is_empty() {
            filter.regions = vec![region.to_string()];
        }
        seg::create_segment(&st, &a, &Call::from_headers(&headers), SegmentInput { name: f.get("name").into(), filter })
            .await
    }
    .await
    .map(|_| ());
    match refusal(result)? {
        None => back("/admin/segments"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let field = e.field.as_deref().map(|f| match f {
                "min_spend_fen" => "min_spend",
                "level_ids" => "level",
                "tag_ids" => "tag",
                "regions" => "region",
                other => other,
            });
            segments_page(
                &st,
                c,
                &reader(&a)?,
                1,
                Some(FormRefusal { typed: &f, field: field.map(String::from), message }),
            )
            .await
        }
    }
}

pub(super) async fn delete_segment(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    seg::delete_segment(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/segments")
}

// ---- tags -----------------------------------------------------------------------------------------

pub(super) async fn tags(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadBuyers>) -> WebResult {
    tags_page(&st, c, &a, None).await
}

pub(super) async fn tags_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let list = seg::tags(st, a, minimall_core::page::Page::parse(Some(1), Some(100))?).await?;
    let mut p = ListPage::new(c, a, "mem.tags").heads(&["common.id", "mem.tag", "seg.count", ""]);
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    let may_edit = managing(a).is_some();
    for t in &list.items {
        p.rows.push(vec![
            Cell::num(t.id.to_string()),
            Cell::link(&t.name, format!("/admin/members?tag={}", t.id)),
            Cell::num(t.buyers.to_string()),
            if may_edit {
                Cell::button(format!("/admin/member-tags/{}/delete", t.id), p.c.t("common.delete"))
            } else {
                Cell::text("")
            },
        ]);
    }
    if may_edit {
        let fields = vec![Field::text("name", p.c.t("mem.tag"), FormRefusal::value(&refused, "name", String::new()))];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "new-tag", "mem.add_tag", "/admin/member-tags".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

pub(super) async fn create_tag(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = seg::create_tag(&st, &a, &Call::from_headers(&headers), TagInput { name: f.get("name").into() })
        .await
        .map(|_| ());
    match refusal(result)? {
        None => back("/admin/member-tags"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            tags_page(&st, c, &reader(&a)?, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}

pub(super) async fn delete_tag(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    seg::delete_tag(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/member-tags")
}
