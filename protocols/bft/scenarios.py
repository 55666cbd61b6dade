"""Named Byzantine-counter scenarios: one per lying behaviour with f liars, and one liar too many."""

from __future__ import annotations

from protocols.spec import Caption, Scenario

_DECIDED = Caption(match={"kind": "state", "node": "c1", "state.phase": "done"},
                   text="c1 decides: every tag reported by at least f + 1 replicas counts, one of them must be "
                        "honest. The liar alone cannot reach f + 1, so its story is dropped.")
_QUORUM = Caption(match={"kind": "state", "node": "c1", "state.phase": "thinking", "state.acked_inc": 1},
                  text="c1's first increment has 2f + 1 acknowledgements: at least f + 1 of them are honest "
                       "replicas that logged it.")


def _per_behaviour(behaviour: str, what: str, reply: str) -> Scenario:
    return Scenario(
        name=behaviour,
        description=f"n = 4 replicas tolerate f = 1 liar; r4 {what}. Every read still returns the true count.",
        params={"f": 1, "liars": 1, "behaviour": behaviour},
        captions=(
            _QUORUM,
            Caption(match={"kind": "send", "src": "r4", "message.type": "read_ok"}, text=reply),
            _DECIDED,
        ),
    )


SCENARIOS = (
    _per_behaviour("lie-high", "reports operations that never happened",
                   "r4 answers the read with made-up operations on top of the real ones."),
    _per_behaviour("lie-low", "acknowledges increments but keeps nothing and reports nothing",
                   "r4 claims no increment ever happened."),
    _per_behaviour("equivocate", "tells odd-numbered clients too much and even-numbered ones nothing",
                   "r4 tells this client one story; it tells another client a different one."),
    Scenario(
        name="silent",
        description="n = 4 replicas tolerate f = 1 liar; r4 never answers. The other 2f + 1 are enough for "
                    "every increment and every read.",
        params={"f": 1, "liars": 1, "behaviour": "silent"},
        captions=(
            Caption(match={"kind": "send", "message.type": "add"},
                    text="Each increment goes to all four replicas; r4 will never answer."),
            _QUORUM,
            _DECIDED,
        ),
    ),
    Scenario(
        name="too-many-liars",
        description="f = 1 but two replicas lie high together: their made-up operations reach f + 1 reports, "
                    "the read counts them, and the detector flags the wrong value.",
        params={"f": 1, "liars": 2, "behaviour": "lie-high"},
        captions=(
            Caption(match={"kind": "send", "src": "r3", "message.type": "read_ok"},
                    text="r3 and r4 both lie high, and they invent the same operations."),
            Caption(match={"kind": "violation", "invariant": "read-equals-true-count"},
                    text="Two reports make f + 1 = 2: the invented operations look vouched for by an honest "
                         "replica, so the read counts them. The detector compares the value read with what was "
                         "really issued and flags it: f + 1 liars broke the quorum rule's promise."),
        ),
    ),
)
