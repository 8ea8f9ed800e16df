"""A small NetworkPolicy evaluator (networking.k8s.io/v1 semantics, matchLabels only) to check which
pods of the rendered manifests may talk to which, without a cluster."""

from __future__ import annotations

from tests.k8s.manifests import Manifests, Obj, labels_match, match_labels


def _peer_matches(peer: Obj, policy_ns: str, labels: dict[str, str], ns: str, ns_labels: dict[str, str]) -> bool:
    if "ipBlock" in peer:
        return False  # the policies here address pods, not CIDRs
    if "namespaceSelector" in peer:
        if not labels_match(match_labels(peer["namespaceSelector"]), ns_labels):
            return False
    elif ns != policy_ns:
        return False
    return labels_match(match_labels(peer.get("podSelector", {})), labels)


def _port_matches(ports: list[Obj], port: int, protocol: str) -> bool:
    if not ports:
        return True
    for entry in ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry or entry["port"] == port:
            return True
        if isinstance(entry["port"], str):
            raise AssertionError(f"named ports in NetworkPolicies are not evaluated here: {entry}")
    return False


def _policy_types(policy: Obj) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])


def _direction_allows(
    m: Manifests,
    direction: str,
    subject: dict[str, str],
    subject_ns: str,
    peer: dict[str, str],
    peer_ns: str,
    peer_ns_labels: dict[str, str],
    port: int,
    protocol: str,
) -> bool:
    """Whether the policies selecting `subject` let traffic through in `direction`."""
    if subject_ns != m.namespace:
        return True  # outside our namespace: not governed by these manifests
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    selecting = [
        p
        for p in m.of_kind("NetworkPolicy")
        if direction in _policy_types(p) and labels_match(match_labels(p["spec"]["podSelector"]), subject)
    ]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get(rules_key) or []:
            peers = rule.get(peers_key)
            peer_ok = not peers or any(_peer_matches(p, m.namespace, peer, peer_ns, peer_ns_labels) for p in peers)
            if peer_ok and _port_matches(rule.get("ports", []), port, protocol):
                return True
    return False


def allowed(
    m: Manifests,
    src: dict[str, str],
    dst: dict[str, str],
    port: int,
    *,
    src_namespace: dict[str, str] | None = None,
    dst_namespace: dict[str, str] | None = None,
    protocol: str = "TCP",
) -> bool:
    """May a pod labelled `src` open a connection to a pod labelled `dst` on `port`? Pods are in the
    manifests' namespace unless a namespace (given by its labels) says otherwise."""
    own = {"kubernetes.io/metadata.name": m.namespace}
    src_ns_labels, dst_ns_labels = src_namespace or own, dst_namespace or own
    src_ns, dst_ns = src_ns_labels["kubernetes.io/metadata.name"], dst_ns_labels["kubernetes.io/metadata.name"]
    return _direction_allows(
        m, "Egress", src, src_ns, dst, dst_ns, dst_ns_labels, port, protocol
    ) and _direction_allows(m, "Ingress", dst, dst_ns, src, src_ns, src_ns_labels, port, protocol)
