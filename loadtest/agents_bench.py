"""Per-meeting latency of the meeting agents' logic (notes, insights, followup) on the sample
meetings, in-process on CPU (ONNX Runtime INT8 encoder, 2 threads):

    .venv/bin/python loadtest/agents_bench.py
"""

import json
import statistics
import time
from datetime import date
from pathlib import Path

from lammesh.agents.softmax import SoftmaxHead
from lammesh.models import SentenceEncoder
from lammesh_services.agents.followup.logic import draft_email
from lammesh_services.agents.insights.logic import derive_insights
from lammesh_services.agents.insights.train import heads_dir
from lammesh_services.agents.notes.logic import Participant, take_notes

enc = SentenceEncoder.load(threads=2)
d = heads_dir(None)
st, se = SoftmaxHead.load(d / "stage.npz"), SoftmaxHead.load(d / "sentiment.npz")
meetings = [json.loads(p.read_text()) for p in sorted(Path("examples/meetings").glob("[0-9]*.json"))]
times = {"notes": [], "insights": [], "followup": []}
for _ in range(5):
    for m in meetings:
        t0 = time.perf_counter()
        n = take_notes(
            m["transcript"],
            meeting_date=date.fromisoformat(m["date"]),
            participants=[Participant(**p) for p in m["participants"]],
            embed=enc.embed,
            title=m["title"],
        )
        t1 = time.perf_counter()
        i = derive_insights(n, embed=enc.embed, stage_head=st, sentiment_head=se, account_domain=m["account_domain"])
        t2 = time.perf_counter()
        draft_email(n, i, account={"name": "x", "domain": m["account_domain"]})
        t3 = time.perf_counter()
        times["notes"].append(t1 - t0)
        times["insights"].append(t2 - t1)
        times["followup"].append(t3 - t2)
for k, v in times.items():
    v = sorted(v)
    print(f"{k}: median {statistics.median(v) * 1000:.1f} ms, max {v[-1] * 1000:.1f} ms over {len(v)} runs")
