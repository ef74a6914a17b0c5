"""The demo square: a small believable town on an empty database, written only through the
action functions (the same write path as the API), deterministic for a given seed.

Thirty accounts of the town of Riverton (its newspaper, a council bot, a scientist, a baker,
...), follows (the popular accounts followed by most), ~150 posts spread over the past six
days with hashtags, mentions and links, reply threads, likes, reposts, quotes, a followers-only
post and two open polls with votes. The past is real: a clock that starts six days ago and
steps forward drives the actions, so ids, timestamps and timelines agree.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from townsquare.config import Settings

DEMO_PASSWORD = "riverton-demo"
DAYS = 6


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    bio: str
    posts: tuple[str, ...]
    bot: bool = False
    locked: bool = False
    popular: bool = False


PERSONAS: tuple[Persona, ...] = (
    Persona("riverton_gazette", "The Riverton Gazette",
            "Local news for Riverton since 1911. Tips: newsroom@gazette.example", (
                "Council approves the new footbridge over the Mill River; work starts in spring. "
                "https://gazette.example/footbridge #riverton",
                "Road closure on Harbour Street this weekend for the farmers' market #riverton",
                "Our reporters spent a night with the harbour pilots. Read it here: "
                "https://gazette.example/pilots",
                "Letters page: readers on the bus timetable changes #transit",
                "The library turns 100 next month. Send us your stories! @library_riverton",
                "Correction: the school board meeting is Thursday, not Wednesday.",
            ), popular=True),
    Persona("city_council", "Riverton City Council",
            "Automated notices from Riverton City Council. Not monitored: write to "
            "council@riverton.example", (
                "Notice: public consultation on the Riverside Park plan is open "
                "until the 30th. https://riverton.example/consult #riverton",
                "Notice: bins are collected one day later this week because of the holiday.",
                "Notice: the council meeting agenda for Tuesday is published. "
                "https://riverton.example/agenda",
                "Notice: winter gritting routes updated #transit",
            ), bot=True, popular=True),
    Persona("weather_riverton", "Riverton Weather",
            "Forecasts for the Riverton valley, posted by a small script.", (
                "Today: light rain clearing by noon, 11°C, wind W 15 km/h #weather",
                "Today: sunny spells, 14°C. A good day to dry the washing #weather",
                "Fog on the river until mid-morning, then bright #weather",
                "Frost warning tonight: cover the tender plants #weather #gardening",
            ), bot=True, popular=True),
    Persona("library_riverton", "Riverton Public Library",
            "Books, maps, 3D printer and a very old cat. Open Tue–Sat.", (
                "New this week: a shelf of local history, curated by @tomas_r #books",
                "Repair café in the reading room on Saturday with @ben_fixit",
                "Story time for little ones every Wednesday at 10 #books",
                "Our centenary exhibition opens on the 12th. Come and see the 1924 "
                "lending ledgers!",
            ), popular=True),
    Persona("dr_amara_osei", "Dr. Amara Osei",
            "Marine biologist at the estuary field station. Seagrass, eels, mud.", (
                "Counted 212 juvenile eels at the weir this morning, the best spring "
                "in five years #science #riverton",
                "Seagrass is quietly one of the best carbon stores we have. A thread on "
                "why the estuary matters #science",
                "New paper out on eelgrass recovery after the 2019 dredging: "
                "https://doi.example/10.1234/eelgrass",
                "Field day with students from @noah_student's course. They found a pipefish!",
                "Reminder that the tide tables are not a suggestion. Wet boots again.",
            )),
    Persona("hollis_bakes", "Hollis Bakery",
            "Sourdough, cardamom buns and too much flour. Mill Lane, from 7am.", (
                "Cardamom buns are out of the oven #bakery",
                "Our starter, Gerald, turns 12 today. Free slice of rye for anyone who "
                "says happy birthday #bakery",
                "Closed Monday for oven repairs, sorry!",
                "Rye with toasted sunflower seeds is back this week #bakery",
                "We now take the leftover bread to the shelter every evening. Thanks "
                "@fatima_z for setting it up.",
            )),
    Persona("mei_lin", "Mei Lin", "Urban planner. Cycling, bridges, maps. she/her", (
                "The footbridge will cut my commute by 12 minutes. Small things matter "
                "#riverton #cycling",
                "Painted lanes are not protected lanes #cycling",
                "Map nerds: the 1890 town plan at the library is wonderful",
                "Counting bikes on Harbour Street for the survey. 146 in an hour!",
            )),
    Persona("tomas_r", "Tomás Rivera", "History teacher at Riverton High. Old maps, older "
            "photographs.", (
                "My students found their great-grandparents in the 1921 census today",
                "The mill burned in 1887 and was rebuilt in six months. Riverton does "
                "not wait around #history",
                "Working on a walking tour of the old harbour #history #riverton",
                "Anyone have photos of the tram before 1950? Asking for a project.",
            )),
    Persona("priya_k", "Priya Kapoor", "Software developer. Open source, open data, "
            "bad puns.", (
                "Built a little map of the bus stops from the council's open data "
                "https://priya.example/stops #opendata",
                "Is it a bug or a feature? Yes.",
                "Reading the source of things is the best documentation #opensource",
                "Volunteering at the code club tonight: 14 kids, 3 robots, 0 fires",
            )),
    Persona("jonas_gardens", "Jonas Berg", "Allotment no. 42. Beans, bees, opinions about "
            "compost.", (
                "First broad beans up #gardening",
                "The community garden needs hands on Saturday, bring gloves #gardening",
                "Slugs 3, Jonas 0 #gardening",
                "Seed swap at the library next week! @library_riverton",
            )),
    Persona("fatima_z", "Fatima Zahra", "Nurse, night shifts. Tea is a food group.", (
                "Thank you to whoever left flowers at the ward desk",
                "Flu clinic this Saturday at the health centre, no appointment needed",
                "Three nights done. Sleeping until next week.",
            )),
    Persona("oldtown_jazz", "Old Town Jazz Club", "Live music, six nights a week. "
            "Cellar bar, 14 Quay Street.", (
                "Tonight: the Mill River Trio, doors at 8 #music",
                "Open jam on Sunday, bring your instrument #music",
                "Sold out on Friday, thank you Riverton!",
            )),
    Persona("leo_photo", "Leo Marchetti", "Photographer. Mostly fog, boats and dogs.", (
                "Fog on the harbour at dawn. Worth the 5am alarm #photography",
                "Portraits at the farmers' market this Saturday, free for stallholders",
                "Golden hour on the Mill River bridge #photography #riverton",
            )),
    Persona("sam_reads", "Sam Okafor", "Runs Pages & Co., the bookshop on Bridge Street.", (
                "Book club picks a mystery set in a lighthouse this month #books",
                "Second-hand poetry shelf restocked #books",
                "Signed copies of the Riverton cookbook are in!",
            )),
    Persona("nadia_v", "Nadia Volkova", "Chess coach. The knight is the best piece, "
            "change my mind.", (
                "Junior chess club beat the county champions 5–3!",
                "Puzzle of the day: white to play and mate in three #chess",
                "Blitz tournament at the café on Friday #chess",
            )),
    Persona("riverton_fc", "Riverton FC", "Your local club. Est. 1903. Up the Millers!", (
                "Full time: Riverton 2–1 Harbour Athletic. What a finish! #football",
                "Season tickets for the new season are on sale #football",
                "Thanks to everyone who helped paint the stand",
            )),
    Persona("grace_h", "Grace Huang", "Amateur astronomer. Riverton Astronomy Club.", (
                "Clear skies tonight: Jupiter and four moons from the allotments #astronomy",
                "Club telescope night on Friday at the rugby ground #astronomy",
                "Light pollution map of the valley, please help us fill it in "
                "https://astro.example/map",
            )),
    Persona("ben_fixit", "Ben Adeyemi", "Repair café volunteer. If it has a screw, it can "
            "be opened.", (
                "Fixed 23 things at the repair café today, including a 1970s radio #repair",
                "Please stop glueing phone batteries in, manufacturers #repair",
                "Next repair café: Saturday at the library",
            )),
    Persona("lucia_m", "Lucía Moreno", "Chef. The blue food truck by the station.", (
                "Empanadas today, and the spicy ones are back #food",
                "Truck is at the football ground on Saturday #food",
                "Bought all my peppers from @jonas_gardens this week",
            )),
    Persona("ahmed_transit", "Ahmed Hassan", "Bus driver, route 7. I will wait if I see you "
            "running.", (
                "To the person who thanked every driver today: you made our week #transit",
                "Route 7 is diverted via Park Road until Friday #transit",
                "Sunrise over the depot this morning",
            )),
    Persona("ines_art", "Inês Duarte", "Illustrator. Drawing every building in Riverton, "
            "one a day.", (
                "Day 112: the old post office #art",
                "Day 113: the bakery on Mill Lane, with a queue #art",
                "Prints of the harbour series at the market this weekend",
            )),
    Persona("kofi_runs", "Kofi Mensah", "Runner, slowly. Parkrun every Saturday.", (
                "Parkrun personal best, 24:10! #running",
                "River path is flooded near the weir, take the road #running",
                "Who is up for a Sunday long run to the lighthouse?",
            )),
    Persona("hannah_vet", "Dr. Hannah Weiss", "Vet at the Riverton animal clinic.", (
                "Hot weather: please do not leave dogs in cars, even for a minute",
                "Met a tortoise called Lightning today",
                "Free microchipping at the clinic on Thursday",
            )),
    Persona("marco_climate", "Marco Bianchi", "Climate scientist. River floods and how to "
            "live with them.", (
                "The new flood model for the valley is out, and the maps are online "
                "https://floods.example/valley #science #climate",
                "Wetlands upstream slow the water down. Nature-based defences work #climate",
                "Talk at the library on Thursday about the 2007 floods #climate",
            )),
    Persona("yuki_music", "Yuki Tanaka", "Violinist. Teaching, playing, occasionally "
            "practising.", (
                "Busking by the bridge today, requests welcome #music",
                "Student concert on Sunday at the church hall #music",
            )),
    Persona("rita_birds", "Rita Alvarez", "Retired engineer, full-time birdwatcher.", (
                "Kingfisher at the weir! Blue as anything #birds",
                "First swifts are back over the old town #birds",
                "Counted 40 curlews on the mudflats at low tide #birds",
            )),
    Persona("noah_student", "Noah Fischer", "Marine biology student. Mostly wet.", (
                "Field trip with @dr_amara_osei: found a pipefish, lost a boot",
                "Exam week. Send coffee.",
            )),
    Persona("zoe_coffee", "Zoë's Corner Coffee", "Small café, big opinions about milk.", (
                "Oat milk is not a personality, but it is on the menu #coffee",
                "Open late on Friday for the chess blitz @nadia_v #chess",
                "New beans from a cooperative in Huila #coffee",
            )),
    Persona("riverton_parks", "Riverton Parks", "Parks, paths and playgrounds of Riverton.", (
                "The new playground in Riverside Park is open #riverton",
                "Volunteer tree planting on Sunday, spades provided",
            )),
    Persona("eli_brooks", "Eli Brooks", "Private account. Friends and family.", (
                "Family dinner at the harbour tonight",
            ), locked=True),
)

REPLIES = (
    "Great news!", "Thanks for sharing this.", "Couldn't agree more.",
    "Is there a link with more details?", "I'll be there!", "This made my day.",
    "Interesting, I didn't know that.", "Love this.", "Any chance it happens again next month?",
    "Saving this for later.", "Well done everyone involved.", "Ha, same here.",
)
QUOTES = ("This is why I love this town.", "Worth reading to the end.",
          "Good thread, and the maps are great.")
POLLS = (
    ("Where should the new bike racks go first? #cycling #riverton",
     ["Station", "Market square", "Library", "Riverside Park"], "mei_lin"),
    ("Best bun at the bakery this week? #bakery", ["Cardamom", "Cinnamon", "Rye & seed"],
     "hollis_bakes"),
)
FOLLOWERS_ONLY = ("eli_brooks", "Back from the hospital, all fine. Thanks for the soup, "
                  "neighbours.")


class StepClock:
    """A clock the demo sets: each action runs at its own moment in the past six days."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = max(moment, self._now)  # never backwards: ids stay monotonic


Event = tuple[datetime, int, Callable[[], Awaitable[None]]]


async def fill_demo(settings: Settings, *, quiet: bool = True, seed: int = 7) -> dict[str, int]:
    """Fill an empty square with the Riverton demo; do nothing if accounts exist.
    Returns what it made (accounts, follows, posts, replies, likes, ... skipped)."""
    from sqlalchemy import func, select

    from townsquare.actions.accounts import NewAccount, create_account
    from townsquare.actions.errors import ActionError
    from townsquare.actions.interactions import favourite, reblog
    from townsquare.actions.relationships import follow
    from townsquare.actions.statuses import NewPoll, NewStatus, create_status
    from townsquare.context import build_context
    from townsquare.store.tables import accounts
    from townsquare.store.tables import polls as polls_table

    def say(message: str) -> None:
        if not quiet:
            print(message, flush=True)

    rng = random.Random(seed)
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    start = end - timedelta(days=DAYS)
    clock = StepClock(start)
    ctx = build_context(settings, clock=clock)
    try:
        async with ctx.db.read() as conn:
            existing = (await conn.execute(select(func.count()).select_from(accounts))
                        ).scalar_one()
        if existing:
            say(f"demo: the square already has {existing} accounts; leaving it as it is")
            return {}

        say(f"demo: creating {len(PERSONAS)} accounts")
        ids: dict[str, int] = {}
        for p in PERSONAS:
            ids[p.username] = await create_account(ctx, NewAccount(
                username=p.username, email=f"{p.username}@demo.example",
                password=DEMO_PASSWORD, display_name=p.display_name, note=p.bio,
                bot=p.bot, locked=p.locked))
        names = [p.username for p in PERSONAS]

        say("demo: following")
        follows = 0
        for p in PERSONAS:
            for q in PERSONAS:
                if q is p:
                    continue
                chance = 0.8 if q.popular else 0.25
                if rng.random() < chance:
                    await follow(ctx, ids[p.username], ids[q.username])
                    follows += 1

        # The conversation, as events at moments over the past days, run in time order.
        events: list[Event] = []
        posted: dict[str, int] = {}  # event key -> status id
        counts = {"posts": 0, "replies": 0, "likes": 0, "reposts": 0, "quotes": 0,
                  "votes": 0}

        def at(moment: datetime, fn: Callable[[], Awaitable[None]]) -> None:
            events.append((min(moment, end), len(events), fn))

        def moment(after: datetime | None = None, hours: float = 12) -> datetime:
            if after is None:
                return start + timedelta(seconds=rng.uniform(3600, DAYS * 86400 - 3600))
            return after + timedelta(seconds=rng.uniform(120, hours * 3600))

        def post_event(key: str, author: str, new: NewStatus, kind: str) -> Callable[
                [], Awaitable[None]]:
            async def run() -> None:
                posted[key] = await create_status(ctx, ids[author], new)
                counts[kind] += 1
            return run

        def reply_event(key: str, parent: str, author: str, text: str) -> Callable[
                [], Awaitable[None]]:
            async def run() -> None:
                new = NewStatus(text=text, in_reply_to_id=posted[parent])
                posted[key] = await create_status(ctx, ids[author], new)
                counts["replies"] += 1
            return run

        def like_event(key: str, who: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await favourite(ctx, ids[who], posted[key])
                counts["likes"] += 1
            return run

        def reblog_event(key: str, who: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await reblog(ctx, ids[who], posted[key])
                counts["reposts"] += 1
            return run

        def quote_event(key: str, who: str, text: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                await create_status(ctx, ids[who], NewStatus(text=text, quote_id=posted[key]))
                counts["quotes"] += 1
            return run

        def vote_event(key: str, who: str, choice: int) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                from townsquare.actions.polls import vote

                async with ctx.db.read() as conn:
                    poll_id = (await conn.execute(select(polls_table.c.id).where(
                        polls_table.c.status_id == posted[key]))).scalar_one()
                await vote(ctx, ids[who], poll_id, [choice])
                counts["votes"] += 1
            return run

        popular = [p.username for p in PERSONAS if p.popular]
        public_keys: list[tuple[str, str, datetime]] = []  # (key, author, when)
        for p in PERSONAS:
            if p.locked:
                continue
            for i, text in enumerate(p.posts):
                key, when = f"{p.username}/{i}", moment()
                at(when, post_event(key, p.username, NewStatus(text=text), "posts"))
                public_keys.append((key, p.username, when))
        author, text = FOLLOWERS_ONLY
        at(moment(), post_event("private", author, NewStatus(text=text, visibility="private"),
                                "posts"))

        for key, author, when in public_keys:
            others = [n for n in names if n != author and n != FOLLOWERS_ONLY[0]]
            fans = 3 + (8 if author in popular else 0)
            for who in rng.sample(others, rng.randint(0, fans)):
                at(moment(when), like_event(key, who))
            if rng.random() < 0.2:
                at(moment(when), reblog_event(key, rng.choice(others)))
            if rng.random() < 0.3:  # a reply, sometimes answered: a thread
                who = rng.choice(others)
                reply_at = moment(when, 6)
                at(reply_at, reply_event(key + "/r", key, who,
                                         f"@{author} {rng.choice(REPLIES)}"))
                if rng.random() < 0.5:
                    at(moment(reply_at, 3), reply_event(
                        key + "/rr", key + "/r", author, f"@{who} {rng.choice(REPLIES)}"))
        for text in QUOTES[:2]:
            key, _author, when = rng.choice(public_keys)
            who = rng.choice([n for n in names if n not in (_author, FOLLOWERS_ONLY[0])])
            at(moment(when), quote_event(key, who, text))

        # Two polls opened in the last day, open for three more days, voted on since.
        for i, (text, options, author) in enumerate(POLLS):
            when = end - timedelta(hours=rng.uniform(6, 20))
            key = f"poll/{i}"
            expires = int((end - when).total_seconds()) + 3 * 86400
            at(when, post_event(key, author, NewStatus(
                text=text, poll=NewPoll(options, expires)), "posts"))
            voters = rng.sample([n for n in names if n not in (author, FOLLOWERS_ONLY[0])], 12)
            for who in voters:
                at(when + timedelta(seconds=rng.uniform(60, (end - when).total_seconds())),
                   vote_event(key, who, rng.randrange(len(options))))

        events.sort(key=lambda e: (e[0], e[1]))
        say(f"demo: replaying {len(events)} posts, replies, likes, reposts and votes "
            f"over the past {DAYS} days")
        skipped = 0
        for n, (when, _, run) in enumerate(events, 1):
            clock.set(when)
            try:
                await run()
            except (ActionError, KeyError, ImportError) as exc:
                # KeyError: the parent was refused; ImportError: a part not built yet.
                skipped += 1
                say(f"demo: skipped one action ({type(exc).__name__}: {exc})")
            if n % 100 == 0:
                say(f"demo: {n}/{len(events)}")
        await ctx.jobs.drain()
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        say(f"demo: done: {len(PERSONAS)} accounts, {follows} follows, {summary}"
            + (f" ({skipped} skipped)" if skipped else ""))
        say(f"demo: every demo account's password is {DEMO_PASSWORD!r} "
            f"(log in as e.g. riverton_gazette or mei_lin)")
        return {"accounts": len(PERSONAS), "follows": follows, **counts, "skipped": skipped}
    finally:
        await ctx.jobs.stop()
        await ctx.db.dispose()

