"""The evaluation harness on a small network: every attack kind found, look-alikes left alone."""

from __future__ import annotations

import numpy as np

from townsquare.integrity import coordination, evaluation, minhash


def test_small_network_precision_and_recall_per_attack() -> None:
    net = evaluation.generate(1500, seed=3)
    report = evaluation.evaluate(net, evaluation.detect(net))
    for kind in ("copy_paste", "repost_ring", "trend_push", "clockwork_bot", "poll_brigade"):
        result = report[kind]
        assert isinstance(result, dict)
        assert result["precision"] >= 0.9 and result["recall"] >= 0.9, (kind, result)
    assert report["organic_flagged"] == 0
    assert report["lookalikes_flagged"] == {"heavy_sharers": 0, "heavy_posters": 0,
                                            "live_event_fans": 0, "declared_bots": 0}
    push = report["trend_push"]
    assert isinstance(push, dict)
    assert push["pushed_tag_in_raw_top10"] and not push["pushed_tag_in_honest_top10"]
    assert report["organic_event_tag_in_honest_top10"]
    brigade = report["poll_brigade"]
    assert isinstance(brigade, dict)
    assert brigade["max_raw_share_moved"] > 0.05 and brigade["max_established_share_moved"] == 0


def test_minhash_groups_edited_copies_not_unrelated_texts() -> None:
    texts = ["Share this before they delete it: the vote count in district nine was changed",
             "share this before they DELETE it: the vote count in district nine was changed!! "
             "https://example.org/x",
             "A quiet morning at the lake, coffee and the ducks arguing about bread again",
             "too short"]
    eligible, sig = minhash.signatures(texts)
    assert list(eligible) == [0, 1, 2]
    labels = minhash.clusters(sig)
    assert labels[0] == labels[1] != labels[2]


def test_sharing_popular_posts_is_not_coordination() -> None:
    # 200 people like the same 5 viral posts within the same minute each time; two of them
    # like them together every time. The crowd's popularity explains it: no campaign.
    rng = np.random.default_rng(1)
    acct, target, ts = [], [], []
    for post in range(5):
        for a in range(200):
            acct.append(a)
            target.append(post)
            ts.append(post * 3600 + float(rng.uniform(0, 60)))
    actions = coordination.Actions(np.array(acct), np.full(len(acct), coordination.FAVOURITE,
                                                          np.int8), np.array(target), np.array(ts))
    assert coordination.detect(actions) == []
    # Five accounts that like the same five obscure posts within seconds are linked.
    extra = coordination.Actions(
        np.repeat(np.arange(1000, 1005), 5), np.full(25, coordination.FAVOURITE, np.int8),
        np.tile(np.arange(100, 105), 5), np.tile(np.arange(5) * 3600.0, 5) + 5)
    found = coordination.detect(coordination.Actions.concat([actions, extra]))
    assert [c.members for c in found] == [[1000, 1001, 1002, 1003, 1004]]
