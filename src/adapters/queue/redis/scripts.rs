//! The Lua scripts, loaded once per process; `redis::Script` sends each by
//! its digest and loads it again when Redis has forgotten it (a restart).
//! Those that need the clock or a token start with `prelude.lua`.

use std::sync::LazyLock;

use bb8_redis::redis::Script;

pub(super) static OFFER: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/offer.lua")));
pub(super) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("scripts/prelude.lua"),
        include_str!("scripts/claim.lua")
    ))
});
pub(super) static OFFER_CLAIMED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("scripts/prelude.lua"),
        include_str!("scripts/offer_claimed.lua")
    ))
});
pub(super) static SETTLE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        include_str!("scripts/prelude.lua"),
        include_str!("scripts/settle.lua")
    ))
});
pub(super) static REMOVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/remove.lua")));
pub(super) static POSITION: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/position.lua")));
pub(super) static DEPTHS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/depths.lua")));
pub(super) static WAITING: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("scripts/waiting.lua")));
