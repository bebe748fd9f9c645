//! Recommendations: item-to-item neighbours from co-occurrence, and a personal feed built on them.
//!
//! - Each actor (buyer or visitor) has a weight per product: the strongest of what they did with it (view 1,
//!   cart 3, purchase 5 by default), over their most recent [`Config::max_items_per_actor`] products.
//! - Similarity of two products is the **cosine** of their actor vectors, Σ wₐ·w_b / (‖a‖·‖b‖), kept only when at
//!   least [`Config::min_support`] actors touched both; each product keeps its top-k neighbours (ties by id).
//! - The personal feed scores candidates by the neighbours of the buyer's recent products (recent ones and
//!   stronger actions weigh more), then fills from the popular products of the same categories, then from the
//!   popular products overall. What the caller excludes (off shelf, out of stock, already bought, or the recent
//!   products themselves) is never returned.

use std::collections::{BTreeMap, HashMap, HashSet};

/// Where recommendations are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placement {
    /// 看了又看 on the product page: neighbours from every action.
    ProductViewed,
    /// 买了又买 on the product page: neighbours from purchases.
    ProductBought,
    /// 为你推荐 on the home page: from the shopper's recent products.
    HomeFeed,
    /// Buyers also bought, in the cart: purchase neighbours of the cart's products.
    CartBought,
}

impl Placement {
    pub const ALL: [Placement; 4] =
        [Placement::ProductViewed, Placement::ProductBought, Placement::HomeFeed, Placement::CartBought];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::ProductViewed => "product_viewed",
            Placement::ProductBought => "product_bought",
            Placement::HomeFeed => "home_feed",
            Placement::CartBought => "cart_bought",
        }
    }

    pub fn parse(s: &str) -> Option<Placement> {
        Placement::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Whether the placement's neighbours come from purchases only.
    pub fn purchases_only(self) -> bool {
        matches!(self, Placement::ProductBought | Placement::CartBought)
    }
}

/// How a list is chosen: from the neighbours (personal), or by popularity alone (the baseline an experiment
/// measures the neighbours against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    Personal,
    Popular,
}

impl Strategy {
    pub const ALL: [Strategy; 2] = [Strategy::Personal, Strategy::Popular];

    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Personal => "personal",
            Strategy::Popular => "popular",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    View,
    Cart,
    Purchase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interaction {
    /// Buyer or visitor, as one number the caller chose.
    pub actor: i64,
    pub product_id: i64,
    pub action: Action,
    /// Any increasing time; later means more recent.
    pub at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    pub view_weight: f64,
    pub cart_weight: f64,
    pub purchase_weight: f64,
    pub min_support: u32,
    pub neighbours: usize,
    pub max_items_per_actor: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            view_weight: 1.0,
            cart_weight: 3.0,
            purchase_weight: 5.0,
            min_support: 2,
            neighbours: 20,
            max_items_per_actor: 50,
        }
    }
}

impl Config {
    fn weight(&self, a: Action) -> f64 {
        match a {
            Action::View => self.view_weight,
            Action::Cart => self.cart_weight,
            Action::Purchase => self.purchase_weight,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbour {
    pub product_id: i64,
    pub score: f64,
    /// Actors who touched both.
    pub support: u32,
}

/// Each product's top neighbours, best first.
pub type Neighbours = HashMap<i64, Vec<Neighbour>>;

/// Neighbours of every product from the interactions.
pub fn neighbours(interactions: &[Interaction], cfg: &Config) -> Neighbours {
    // actor → product → (weight, latest time)
    let mut actors: HashMap<i64, HashMap<i64, (f64, i64)>> = HashMap::new();
    for i in interactions {
        let e = actors.entry(i.actor).or_default().entry(i.product_id).or_insert((0.0, i.at));
        e.0 = e.0.max(cfg.weight(i.action));
        e.1 = e.1.max(i.at);
    }
    let mut norm: HashMap<i64, f64> = HashMap::new();
    let mut pairs: HashMap<(i64, i64), (f64, u32)> = HashMap::new();
    for items in actors.values() {
        let mut list: Vec<(i64, f64, i64)> = items.iter().map(|(&p, &(w, at))| (p, w, at)).collect();
        // The most recent products of the actor, then by id so the cut is deterministic.
        list.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        list.truncate(cfg.max_items_per_actor);
        for (i, &(a, wa, _)) in list.iter().enumerate() {
            *norm.entry(a).or_default() += wa * wa;
            for &(b, wb, _) in &list[i + 1..] {
                let key = if a < b { (a, b) } else { (b, a) };
                let e = pairs.entry(key).or_default();
                e.0 += wa * wb;
                e.1 += 1;
            }
        }
    }
    let mut out: Neighbours = HashMap::new();
    for ((a, b), (dot, support)) in pairs {
        if support < cfg.min_support {
            continue;
        }
        let score = dot / (norm[&a].sqrt() * norm[&b].sqrt());
        out.entry(a).or_default().push(Neighbour { product_id: b, score, support });
        out.entry(b).or_default().push(Neighbour { product_id: a, score, support });
    }
    for list in out.values_mut() {
        list.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.product_id.cmp(&y.product_id)));
        list.truncate(cfg.neighbours);
    }
    out
}

/// What a store can sum for one product without loading every interaction: for each other product, Σ wₐ·w_b over
/// the actors who touched both and how many they are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoSum {
    pub product_id: i64,
    pub dot: f64,
    pub support: u32,
}

/// One product's top neighbours from its co-occurrence sums and every product's Σ w² (`norm_sq`): the same list
/// [`neighbours`] gives for it when each actor's products are within [`Config::max_items_per_actor`] (the store
/// keeps only that many per actor). A product missing from `norm_sq` is skipped.
pub fn rank(product_id: i64, co: &[CoSum], norm_sq: &HashMap<i64, f64>, cfg: &Config) -> Vec<Neighbour> {
    let Some(&own) = norm_sq.get(&product_id) else {
        return Vec::new();
    };
    let mut list: Vec<Neighbour> = co
        .iter()
        .filter(|c| c.product_id != product_id && c.support >= cfg.min_support)
        .filter_map(|c| {
            let other = *norm_sq.get(&c.product_id)?;
            let denom = own.sqrt() * other.sqrt();
            (denom > 0.0).then(|| Neighbour { product_id: c.product_id, score: c.dot / denom, support: c.support })
        })
        .collect();
    list.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.product_id.cmp(&y.product_id)));
    list.truncate(cfg.neighbours);
    list
}

/// The weight of an action as a whole number (what a store keeps per actor and product): the default weights.
pub fn weight_code(a: Action) -> i64 {
    match a {
        Action::View => 1,
        Action::Cart => 3,
        Action::Purchase => 5,
    }
}

/// The action of a stored weight; unknown weights read as a view.
pub fn action_of(weight: i64) -> Action {
    match weight {
        5 => Action::Purchase,
        3 => Action::Cart,
        _ => Action::View,
    }
}

/// Products by popularity (e.g. paid units in the last 30 days), most popular first, with their category.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub popular: Vec<i64>,
    pub category: HashMap<i64, i64>,
}

/// Products that must not be shown: off shelf, out of stock, already bought, or whatever else the caller adds.
pub type Excluded = HashSet<i64>;

/// Up to `k` products for a product page ("看了又看 / 买了又买"): its neighbours, then popular products of its
/// category, then popular products; never the product itself nor an excluded one.
pub fn for_product(product_id: i64, nb: &Neighbours, catalog: &Catalog, excluded: &Excluded, k: usize) -> Vec<i64> {
    let scored: Vec<(i64, f64)> =
        nb.get(&product_id).map(|l| l.iter().map(|n| (n.product_id, n.score)).collect()).unwrap_or_default();
    let mut skip = excluded.clone();
    skip.insert(product_id);
    fill(scored, &[product_id], catalog, &skip, k)
}

/// A product the buyer touched recently, most recent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recent {
    pub product_id: i64,
    pub action: Action,
}

/// The personal feed ("为你推荐"): up to `k` products from the neighbours of the buyer's recent products (the
/// i-th most recent weighs 1 / (i + 1), times its action's weight), then category and overall popularity.
/// Recent products themselves are not shown again, nor excluded ones. A new visitor gets the popular products.
pub fn feed(
    recent: &[Recent],
    nb: &Neighbours,
    cfg: &Config,
    catalog: &Catalog,
    excluded: &Excluded,
    k: usize,
) -> Vec<i64> {
    let mut scores: BTreeMap<i64, f64> = BTreeMap::new();
    for (i, r) in recent.iter().enumerate() {
        let w = cfg.weight(r.action) / (i + 1) as f64;
        for n in nb.get(&r.product_id).into_iter().flatten() {
            *scores.entry(n.product_id).or_default() += w * n.score;
        }
    }
    let mut skip = excluded.clone();
    skip.extend(recent.iter().map(|r| r.product_id));
    let seeds: Vec<i64> = recent.iter().map(|r| r.product_id).collect();
    fill(scores.into_iter().collect(), &seeds, catalog, &skip, k)
}

/// Best scored first (ties by id), then popular products in the seeds' categories, then popular products.
fn fill(mut scored: Vec<(i64, f64)>, seeds: &[i64], catalog: &Catalog, skip: &Excluded, k: usize) -> Vec<i64> {
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(k);
    let mut taken: HashSet<i64> = HashSet::new();
    let mut take = |p: i64, out: &mut Vec<i64>| {
        if out.len() < k && !skip.contains(&p) && taken.insert(p) {
            out.push(p);
        }
    };
    for (p, _) in scored {
        take(p, &mut out);
    }
    let categories: HashSet<i64> = seeds.iter().filter_map(|s| catalog.category.get(s)).copied().collect();
    for &p in &catalog.popular {
        if catalog.category.get(&p).is_some_and(|c| categories.contains(c)) {
            take(p, &mut out);
        }
    }
    for &p in &catalog.popular {
        take(p, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn buy(actor: i64, product_id: i64, at: i64) -> Interaction {
        Interaction { actor, product_id, action: Action::Purchase, at }
    }

    /// A shop of 200 buyers and 40 products where 80 % of the buyers of A (1) also buy B (2); everyone also buys
    /// a few random products, and product 3 is a bestseller bought by half of all buyers.
    fn shop(seed: u64) -> Vec<Interaction> {
        let mut x = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut next = move |n: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % n
        };
        let mut out = Vec::new();
        for actor in 0..200 {
            let mut t = 0;
            let mut add = |p: i64, out: &mut Vec<Interaction>| {
                t += 1;
                out.push(buy(actor, p, t));
            };
            if actor < 50 {
                add(1, &mut out);
                if next(10) < 8 {
                    add(2, &mut out);
                }
            }
            if next(2) == 0 {
                add(3, &mut out);
            }
            for _ in 0..3 {
                add(4 + next(36) as i64, &mut out);
            }
        }
        out
    }

    #[test]
    fn what_buyers_of_a_also_buy_ranks_first_for_a() {
        for seed in 0..10 {
            let nb = neighbours(&shop(seed), &Config::default());
            assert_eq!(nb[&1][0].product_id, 2, "seed {seed}: {:?}", &nb[&1][..3]);
            assert_eq!(for_product(1, &nb, &Catalog::default(), &Excluded::new(), 5)[0], 2);
            let feed = feed(
                &[Recent { product_id: 1, action: Action::View }],
                &nb,
                &Config::default(),
                &Catalog::default(),
                &Excluded::new(),
                5,
            );
            assert_eq!(feed[0], 2);
            let gone: Excluded = [2].into();
            assert_ne!(for_product(1, &nb, &Catalog::default(), &gone, 5).first(), Some(&2));
        }
    }

    #[test]
    fn cosine_and_support_by_hand() {
        // Actor 1: A cart (3), B view (1); actor 2: A purchase (5), B purchase (5); actor 3: A view, C view.
        let rows = [
            Interaction { actor: 1, product_id: 10, action: Action::Cart, at: 1 },
            Interaction { actor: 1, product_id: 10, action: Action::View, at: 2 },
            Interaction { actor: 1, product_id: 11, action: Action::View, at: 3 },
            buy(2, 10, 1),
            buy(2, 11, 2),
            Interaction { actor: 3, product_id: 10, action: Action::View, at: 1 },
            Interaction { actor: 3, product_id: 12, action: Action::View, at: 2 },
        ];
        let nb = neighbours(&rows, &Config::default());
        let ab = nb[&10][0];
        let want = (3.0 * 1.0 + 5.0 * 5.0) / ((9.0f64 + 25.0 + 1.0).sqrt() * (1.0f64 + 25.0).sqrt());
        assert_eq!((ab.product_id, ab.support), (11, 2));
        assert!((ab.score - want).abs() < 1e-12);
        assert_eq!(nb[&10].len(), 1, "A–C has one actor, below the support of 2");
        assert!(!nb.contains_key(&12));
    }

    #[test]
    fn new_visitors_get_category_then_overall_popularity() {
        let catalog = Catalog { popular: vec![5, 6, 7, 8], category: [(5, 1), (6, 2), (7, 2), (8, 1), (9, 2)].into() };
        let nb = Neighbours::new();
        assert_eq!(feed(&[], &nb, &Config::default(), &catalog, &Excluded::new(), 3), vec![5, 6, 7]);
        let recent = [Recent { product_id: 9, action: Action::View }];
        assert_eq!(feed(&recent, &nb, &Config::default(), &catalog, &[6].into(), 3), vec![7, 5, 8]);
    }

    proptest! {
        /// Ranking from the sums a store keeps gives the neighbours computed from the interactions themselves.
        #[test]
        fn ranking_from_sums_equals_the_neighbours(
            rows in prop::collection::vec((0i64..20, 0i64..15, 0u8..3, 0i64..100), 0..300),
        ) {
            let act = |a: u8| [Action::View, Action::Cart, Action::Purchase][a as usize];
            let rows: Vec<Interaction> = rows.iter().map(|&(actor, p, a, at)| Interaction { actor, product_id: p, action: act(a), at }).collect();
            let cfg = Config::default();
            let nb = neighbours(&rows, &cfg);
            // What the store sums: each actor's strongest weight per product.
            let mut prof: HashMap<(i64, i64), f64> = HashMap::new();
            for i in &rows {
                let w = prof.entry((i.actor, i.product_id)).or_default();
                *w = w.max(cfg.weight(i.action));
            }
            let mut norm_sq: HashMap<i64, f64> = HashMap::new();
            for (&(_, p), &w) in &prof {
                *norm_sq.entry(p).or_default() += w * w;
            }
            for product in 0..15 {
                let mut co: BTreeMap<i64, (f64, u32)> = BTreeMap::new();
                for (&(actor, _), &w) in prof.iter().filter(|((_, p), _)| *p == product) {
                    for (&(a2, q), &w2) in &prof {
                        if a2 == actor && q != product {
                            let e = co.entry(q).or_default();
                            e.0 += w * w2;
                            e.1 += 1;
                        }
                    }
                }
                let co: Vec<CoSum> = co.into_iter().map(|(q, (dot, support))| CoSum { product_id: q, dot, support }).collect();
                let got = rank(product, &co, &norm_sq, &cfg);
                let want = nb.get(&product).cloned().unwrap_or_default();
                prop_assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    prop_assert_eq!((g.product_id, g.support), (w.product_id, w.support));
                    prop_assert!((g.score - w.score).abs() < 1e-9);
                }
            }
        }

        /// Nothing excluded, nothing recent, nothing twice and never more than asked, whatever the data.
        #[test]
        fn nothing_filtered_is_ever_returned(
            rows in prop::collection::vec((0i64..30, 0i64..25, 0u8..3, 0i64..100), 0..400),
            excluded in prop::collection::hash_set(0i64..25, 0..12),
            recent in prop::collection::vec((0i64..25, 0u8..3), 0..6),
            k in 0usize..30,
        ) {
            let act = |a: u8| [Action::View, Action::Cart, Action::Purchase][a as usize];
            let rows: Vec<Interaction> = rows.iter().map(|&(actor, p, a, at)| Interaction { actor, product_id: p, action: act(a), at }).collect();
            let cfg = Config { min_support: 1, ..Config::default() };
            let nb = neighbours(&rows, &cfg);
            let catalog = Catalog { popular: (0..25).collect(), category: (0..25).map(|p| (p, p % 4)).collect() };
            let recent: Vec<Recent> = recent.iter().map(|&(p, a)| Recent { product_id: p, action: act(a) }).collect();
            let f = feed(&recent, &nb, &cfg, &catalog, &excluded, k);
            let mut seen = HashSet::new();
            for p in &f {
                prop_assert!(!excluded.contains(p) && !recent.iter().any(|r| r.product_id == *p));
                prop_assert!(seen.insert(*p));
            }
            let available = (0..25).filter(|p| !excluded.contains(p) && !recent.iter().any(|r| r.product_id == *p)).count();
            prop_assert_eq!(f.len(), k.min(available), "popularity fills the feed");
            for product in 0..25 {
                let r = for_product(product, &nb, &catalog, &excluded, k);
                prop_assert!(r.iter().all(|p| *p != product && !excluded.contains(p)));
            }
            for list in nb.values() {
                prop_assert!(list.iter().all(|n| n.score > 0.0 && n.score <= 1.0 + 1e-12));
            }
        }
    }
}
