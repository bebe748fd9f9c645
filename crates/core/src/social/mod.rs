//! Social growth (推广与裂变): the rules of group buying (拼团), distribution (分销) and its commission ledger,
//! referral rewards (老带新) with their risk control, and the channels and share links that attribute visits
//! and orders. Everything here is pure; the store keeps the recorded state and calls these decisions.
//!
//! | module | what |
//! |---|---|
//! | [`community`] | community groups (社群): names, join codes, who may join or claim, what a push carries, the group's link |
//! | [`channel`] | the channel list, share-link parameters (`ch`, `cp`, `pr`), first- and last-touch attribution |
//! | [`group_buy`] | 拼团 terms and their validation; a group's seats, joins, payments, expiry and refunds |
//! | [`promoter`] | who may become a promoter (manual or automatic by spend and level); binding a buyer to one |
//! | [`commission`] | commission rules (direct promoter and team leader; percent or fixed per unit; per product) |
//! | [`commission_ledger`] | a commission's life (frozen → settled → withdrawn → paid; reversals) and its postings |
//! | [`presale`] | pre-sale with tiered rebate: the planner of its economics and its draws, recomputable from a committed seed |
//! | [`referral`] | whether an invitation earns a reward, and the risk checks that hold one for review |
//! | [`risk`] | the risk control referral rewards and commissions share: fingerprints, shared identifiers, crowds, daily limits, hold reasons |

pub mod channel;
pub mod commission;
pub mod commission_ledger;
pub mod community;
pub mod group_buy;
pub mod presale;
pub mod promoter;
pub mod referral;
pub mod risk;
