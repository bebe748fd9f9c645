//! A generated crowd of buyers (`minimall demo --buyers N`): buyers who registered one after another over the
//! last two years, each with a default address (the profile's region), a birthday (four in five), a gender and
//! an acquisition channel, some of them carrying the shop's manual tags. The orders generated in the same run
//! go to buyers registered by then; what their completed orders count (spend after refunds, points at the
//! shop's base rate) is written per order as the completion of an order writes it, and at the end each member's
//! totals, level (the shop's levels, reached as progress reaches them), lifecycle stage and points (one lot,
//! posted to the journal) are written in batches.

use minimall_core::members::levels::{self, Progress};
use minimall_core::members::lifecycle;
use minimall_core::members::points::{self, EarnLine};
use minimall_store::generate::GeneratedOrder;
use minimall_store::generate_crowd::{CrowdBuyer, CrowdMember};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::state::AppState;

const DAY_MS: i64 = 86_400_000;
/// Days over which the crowd registered, ending yesterday.
pub const REGISTERED_DAYS: i64 = 720;
/// Buyers written per transaction.
const BATCH: usize = 10_000;

/// (province, city, district) of the addresses, with a weight each.
const PLACES: &[(&str, &str, &str, u32)] = &[
    ("广东省", "深圳市", "南山区", 14),
    ("浙江省", "杭州市", "西湖区", 11),
    ("江苏省", "南京市", "鼓楼区", 10),
    ("上海市", "上海市", "浦东新区", 9),
    ("北京市", "北京市", "朝阳区", 8),
    ("四川省", "成都市", "武侯区", 8),
    ("山东省", "青岛市", "市南区", 7),
    ("湖北省", "武汉市", "洪山区", 7),
    ("福建省", "厦门市", "思明区", 6),
    ("河南省", "郑州市", "金水区", 6),
    ("湖南省", "长沙市", "岳麓区", 5),
    ("江西省", "赣州市", "章贡区", 5),
    ("陕西省", "西安市", "雁塔区", 4),
];

/// The manual tags put on the crowd, with the share of buyers carrying each (in thousandths).
pub const TAGS: &[(&str, u32)] = &[("高潜客户", 100), ("宝妈", 150), ("团购群成员", 200), ("大客户", 50)];

/// What one buyer's generated completed orders counted.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    spend: i64,
    points: i64,
    orders: i64,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

/// The crowd as written, and what its orders counted so far.
pub struct Crowd {
    /// Buyer ids in the order they registered.
    pub ids: Vec<i64>,
    /// When each registered (ascending).
    pub registered: Vec<i64>,
    buyers: Vec<CrowdBuyer>,
    tally: Vec<Tally>,
    earn_per_yuan: u32,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut roll = rng.gen_range(0..total);
    for item in items {
        let w = weight(item);
        if roll < w {
            return item;
        }
        roll -= w;
    }
    &items[items.len() - 1]
}

/// Write `n` buyers (as described in the module), deterministic by `seed` on the same shop day.
pub async fn create(st: &AppState, seed: u64, n: u64) -> anyhow::Result<Crowd> {
    let merchant = st.merchant_id;
    let mut rng = StdRng::seed_from_u64(seed ^ 0x6372_6f77_6400);
    let today = crate::web::view::beijing_day(minimall_store::now_ms());
    let start = crate::web::view::day_start_ms(today - REGISTERED_DAYS);
    let span = REGISTERED_DAYS * DAY_MS;
    let slice = (span / n.max(1) as i64).max(1);
    let rules = crate::members::rules(st, merchant).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut tag_ids = Vec::with_capacity(TAGS.len());
    let existing = st.store.member_tags(merchant, 1_000, 0).await?.items;
    for (name, _) in TAGS {
        let id = match existing.iter().find(|t| t.name == *name) {
            Some(t) => t.id,
            None => {
                let mut tx = st.store.begin().await?;
                let id = st.store.create_member_tag(&mut tx, merchant, name, None).await?;
                minimall_store::commit(tx).await?;
                id
            }
        };
        tag_ids.push(id);
    }
    let mut crowd = Crowd {
        ids: Vec::with_capacity(n as usize),
        registered: Vec::with_capacity(n as usize),
        buyers: Vec::with_capacity(n as usize),
        tally: vec![Tally::default(); n as usize],
        earn_per_yuan: rules.settings.earn_per_yuan.max(0) as u32,
    };
    let mut done = 0u64;
    while done < n {
        let count = (n - done).min(BATCH as u64);
        let mut batch = Vec::with_capacity(count as usize);
        for i in done..done + count {
            let created_at = start + i as i64 * span / n as i64 + rng.gen_range(0..slice);
            let nickname = format!(
                "{}{}",
                super::SURNAMES[rng.gen_range(0..super::SURNAMES.len())],
                super::GIVEN[rng.gen_range(0..super::GIVEN.len())]
            );
            let channel = super::CHANNELS[rng.gen_range(0..super::CHANNELS.len())];
            let phone = (rng.gen_range(0..2) == 0).then(|| format!("19{}{i:08}", seed % 10));
            let gender = match rng.gen_range(0..100) {
                0..=54 => "female",
                55..=89 => "male",
                _ => "unknown",
            };
            let birth_day =
                (rng.gen_range(0..5) < 4).then(|| today - rng.gen_range(16..70) * 365 - rng.gen_range(0..365));
            let (province, city, district, _) = *pick(&mut rng, PLACES, |p| p.3);
            batch.push(CrowdBuyer {
                openid: format!("gen{seed}:{i:07}"),
                phone,
                nickname,
                channel: channel.to_string(),
                created_at,
                birth_day,
                gender,
                province: province.to_string(),
                city: city.to_string(),
                district: district.to_string(),
                detail: format!("幸福路{}号{}室", rng.gen_range(1..300), rng.gen_range(101..2_000)),
            });
        }
        let ids = st.store.insert_crowd_buyers(merchant, &batch).await?;
        let mut tags = Vec::new();
        for (id, b) in ids.iter().zip(&batch) {
            for ((_, share), tag) in TAGS.iter().zip(&tag_ids) {
                if rng.gen_range(0..1_000) < *share {
                    tags.push((*tag, *id, b.created_at));
                }
            }
        }
        st.store.insert_crowd_tags(merchant, &tags).await?;
        crowd.registered.extend(batch.iter().map(|b| b.created_at));
        crowd.ids.extend(ids);
        crowd.buyers.extend(batch);
        done += count;
    }
    Ok(crowd)
}

impl Crowd {
    /// How many of the crowd had registered by `at` (at least one).
    pub fn registered_by(&self, at: i64) -> usize {
        self.registered.partition_point(|&r| r <= at).max(1)
    }

    /// Count a batch of generated orders (with their ids) towards their buyers: the completed ones' spend after
    /// refunds and points at the base rate, written as each order's credit.
    pub async fn count_orders(
        &mut self,
        st: &AppState,
        orders: &[GeneratedOrder],
        ids: &[(String, i64)],
    ) -> anyhow::Result<()> {
        let mut credits = Vec::new();
        for (o, (_, order_id)) in orders.iter().zip(ids) {
            let Some(at) = o.completed_at else { continue };
            let Some(k) = self.index_of(o.buyer_id) else { continue };
            let refund = o.refund.map_or(0, |r| r.0);
            let lines: Vec<EarnLine> = o
                .lines
                .iter()
                .enumerate()
                .map(|(n, l)| EarnLine { paid_fen: (l.paid() - if n == 0 { refund } else { 0 }).max(0), earns: true })
                .collect();
            let spend: i64 = lines.iter().map(|l| l.paid_fen).sum();
            let earned = points::earned(&lines, self.earn_per_yuan, 100);
            credits.push((*order_id, o.buyer_id, spend, earned, at));
            let t = &mut self.tally[k];
            t.spend += spend;
            t.points += earned;
            t.orders += 1;
            t.first_ms = Some(t.first_ms.map_or(at, |f| f.min(at)));
            t.last_ms = Some(t.last_ms.map_or(at, |l| l.max(at)));
        }
        st.store.insert_crowd_credits(st.merchant_id, &credits).await?;
        Ok(())
    }

    fn index_of(&self, buyer_id: i64) -> Option<usize> {
        let first = *self.ids.first()?;
        let k = usize::try_from(buyer_id - first).ok()?;
        (self.ids.get(k) == Some(&buyer_id)).then_some(k)
    }

    /// Write every member's totals, level, stage and points (see the module).
    pub async fn finish(self, st: &AppState) -> anyhow::Result<()> {
        let merchant = st.merchant_id;
        let rules = crate::members::rules(st, merchant).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let core_levels = rules.core_levels();
        let days = rules.stage_days();
        let expiry = rules.expiry();
        let today = crate::web::view::beijing_day(minimall_store::now_ms());
        let day = |ms: i64| minimall_core::time::day_of(ms).unwrap_or(0);
        let mut members = Vec::with_capacity(BATCH);
        for (k, b) in self.buyers.iter().enumerate() {
            let t = self.tally[k];
            let progress = Progress { completed_spend_fen: t.spend, points_earned: t.points };
            let level_id = levels::reached(&core_levels, &progress).map(|l| l.id);
            let registered_day = day(b.created_at);
            let (first_day, last_day) = (t.first_ms.map(day), t.last_ms.map(day));
            let stage = lifecycle::stage(days, registered_day, first_day, last_day, today);
            let granted = t.last_ms.unwrap_or(b.created_at);
            members.push(CrowdMember {
                buyer_id: self.ids[k],
                level_id,
                level_at: granted,
                completed_spend_fen: t.spend,
                orders_count: t.orders,
                registered_day,
                first_order_day: first_day,
                last_order_day: last_day,
                birth_day: b.birth_day,
                gender: b.gender,
                region: b.province.clone(),
                channel: b.channel.clone(),
                stage: stage.as_str(),
                points: (t.points > 0).then(|| {
                    (t.points, points::value_fen(t.points, rules.points_per_yuan), granted, expiry.expires_at(granted))
                }),
            });
            if members.len() == BATCH {
                st.store.write_crowd_members(merchant, &members).await?;
                members.clear();
            }
        }
        st.store.write_crowd_members(merchant, &members).await?;
        Ok(())
    }
}
