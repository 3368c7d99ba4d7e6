# %% [markdown]
# # A trend line with its uncertainty band, from pollapp's API
#
# Notebook-style script (the `# %%` markers are cells in VS Code, Jupyter's jupytext and Spyder).
# It needs a running pollapp server with the seeded data (`make run` serves one on
# http://127.0.0.1:5000) and only the Python client for data; matplotlib draws the plot.
#
#     python examples/trend_with_band.py                       # the default server and series
#     python examples/trend_with_band.py --base-url http://127.0.0.1:5000 --output concessions.png
#
# The base URL may also come from the environment: `POLLAPP_URL=http://... python examples/...`.

# %%
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # no display needed: the plot is written to a file
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from pollapp.client import Client, included_polls  # noqa: E402

parser = argparse.ArgumentParser(description="Plot a pollapp trend with its band to a PNG.")
parser.add_argument("--base-url", default=os.environ.get("POLLAPP_URL", "http://127.0.0.1:5000"))
parser.add_argument("--series", default="ukraine-territorial-concessions")
parser.add_argument("--outcome", default="ready")
parser.add_argument("--output", default="trend_with_band.png")
args, _ = parser.parse_known_args()  # known args only: a notebook kernel passes its own

# %% [markdown]
# ## The series
# `series()` lists every tracked measure. We take the Ukrainian question KIIS has asked since 2022:
# are you ready for territorial concessions to end the war sooner? (outcome `ready`)

# %%
api = Client(args.base_url)
series = api.series().set_index("slug")
about = series.loc[args.series]
print(f"{about.title}: {about.poll_count} polls, {about.first_field_end_date:%b %Y} to {about.last_field_end_date:%b %Y}")

# %% [markdown]
# ## The trend and its band
# `trend()` returns one row per day: `estimate_pct` with `lower_pct`/`upper_pct`. What the band
# covers is stated by the server in `trend.attrs["band"]`; say it on the chart, not only the line.
# The polls behind the line (`included_polls`) come with the date the trend places them on
# (`mid_date`, the field period's middle) and the value used (`pct`).

# %%
trend = api.trend(args.series, method="kalman", outcome=args.outcome)
polls = included_polls(trend)
label = dict(zip(about.outcomes, about.outcome_labels))[args.outcome]
print(trend.attrs["band"])
print(trend[["date", "estimate_pct", "lower_pct", "upper_pct"]].tail(3).to_string(index=False))
for warning in trend.attrs["warnings"]:
    print("warning:", warning)

# %% [markdown]
# ## The plot

# %%
fig, ax = plt.subplots(figsize=(9, 5), dpi=100)
ax.fill_between(trend.date, trend.lower_pct, trend.upper_pct, color="#9ecae1", alpha=0.6,
                label="band (see note)")
ax.plot(trend.date, trend.estimate_pct, color="#08519c", linewidth=2, label=f"trend ({trend.attrs['method']})")
ax.scatter(polls.mid_date, polls.pct, color="#252525", s=18, zorder=3, label="polls (field midpoint)")
ax.set_title(f"{about.title}\n{label}", fontsize=11)
ax.set_ylabel("% of respondents")
ax.set_ylim(0, 100 if trend.upper_pct.max() > 60 else 60)
ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
ax.grid(alpha=0.3)
ax.legend(loc="upper left", fontsize=8)
fig.text(0.01, 0.01, f"Band: {trend.attrs['band']}. Source: pollapp ({args.base_url}).", fontsize=6, wrap=True)
fig.tight_layout(rect=(0, 0.05, 1, 1))
fig.savefig(args.output)
print(f"wrote {args.output}")
