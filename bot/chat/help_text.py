"""The grammar's words, their usage lines and what they do, and three examples of each: help is built from them."""

from __future__ import annotations

# One place for the grammar's words, their usage lines and what they do; help is built from it.
USAGE: dict[str, tuple[str, str]] = {
    "subscribe": (
        "/papers subscribe <query> [min-upvotes=N] [for me]",
        'follow a topic slug, "a phrase", cat:cs.LG, author:"Name", like:<arXiv id>; -word excludes; '
        "`for me`: by direct message",
    ),
    "unsubscribe": (
        "/papers unsubscribe <query|number|all> [for me]",
        "stop following one; all asks for `all confirm`",
    ),
    "list": ("/papers list [mine]", "this channel's subscriptions and schedule, or your own"),
    "find": (
        "/papers find <text>",
        "look a paper up by a half-remembered title, an arXiv id or URL, or what it is about",
    ),
    "digest": ("/papers digest [mine]", "preview what the next post would hold"),
    "schedule": (
        "/papers schedule [HH:MM] [time zone] [daily|weekdays|weekly <day>|off] [for me]",
        "when this channel (or you) gets its post, words in any order; `weekly mon 09:00 top [only]`: "
        "the week's most upvoted (`top off` stops it); `summary on|off`: in a forum channel, where each paper is a "
        "post, whether the day's list is a post too",
    ),
    "topics": ("/papers topics [prefix]", "browse the topics you can subscribe to"),
    "status": ("/papers status [mine]", "sources, schedule, last and next post"),
    "export": ("/papers export", "this channel's subscriptions and schedule as a JSON Lines file"),
    "import": (
        "/papers import (with the file /papers export gave attached)",
        "follow what an exported file holds, in this channel",
    ),
    "like": (
        "/papers like <arXiv id or link>",
        "more papers like this one in this channel's posts, from 5 likes and dislikes on",
    ),
    "dislike": ("/papers dislike <arXiv id or link>", "fewer papers like this one"),
    "save": ("/papers save <arXiv id or link>", "keep a paper on this channel's saved list"),
    "saved": ("/papers saved", "this channel's saved papers"),
    "forget": ("/papers forget <arXiv id or link>", "undo your like, dislike or save of a paper"),
    "why": ("/papers why <arXiv id or link>", "every reason a paper matches this channel's subscriptions"),
    "taste": (
        "/papers taste [reset]",
        "the words, topics and papers this channel's likes and dislikes taught its posts; reset forgets them",
    ),
    "warmup": ("/papers warmup [pick 1 3]", "the kinds of this channel's recent papers: pick the ones it wants"),
    "club": (
        "/papers club [papers 2-10] [hours 1-168]",
        "journal club: this week's top matches (5) put to a vote (24 hours); the winner is announced with its card",
    ),
    "ranking": (
        "/papers ranking [upvotes off|low|normal|high]",
        "how much Hugging Face upvotes weigh in this channel's post",
    ),
    "feed": (
        "/papers feed [reset] [for me]",
        "a private link to the last 30 days of posts as a web page, Atom and JSON Feed; reset revokes yours",
    ),
    "help": ("/papers help [command]", "this help"),
}

# Three examples per command for `/papers help <command>`.
EXAMPLES: dict[str, tuple[str, str, str]] = {
    "subscribe": (
        "/papers subscribe reinforcement-learning",
        '/papers subscribe "world model" -survey min-upvotes=5',
        '/papers subscribe author:"Sergey Levine" OR cat:cs.RO',
    ),
    "unsubscribe": ("/papers unsubscribe 2", "/papers unsubscribe robotics", "/papers unsubscribe all confirm"),
    "list": ("/papers list", "/papers list mine", "/papers ls"),
    "find": (
        "/papers find go explor hard exploraton",
        "/papers find is there a paper on detecting made-up citations?",
        "/papers find https://arxiv.org/abs/1901.10995",
    ),
    "digest": ("/papers digest", "/papers digest mine", "/papers preview"),
    "schedule": (
        "/papers schedule 09:00",
        "/papers schedule 08:30 Europe/Berlin weekdays",
        "/papers schedule weekly mon 09:00 top",
    ),
    "topics": ("/papers topics", "/papers topics reinforcement", "/papers topics robotics"),
    "status": ("/papers status", "/papers status mine", "/papers status"),
    "export": ("/papers export", "/papers export", "/papers export"),
    "like": (
        "/papers like 2401.12345",
        "/papers like https://arxiv.org/abs/2401.12345",
        "/papers like hf.co/papers/2401.12345",
    ),
    "dislike": (
        "/papers dislike 2401.12345",
        "/papers dislike https://arxiv.org/pdf/2401.12345v2",
        "/papers dislike 2401.12345",
    ),
    "save": (
        "/papers save 2401.12345",
        "/papers save https://huggingface.co/papers/2401.12345",
        "/papers save 2401.12345",
    ),
    "saved": ("/papers saved", "/papers saved", "/papers saved"),
    "why": (
        "/papers why 2401.12345",
        "/papers why https://arxiv.org/abs/2401.12345",
        "/papers why hf.co/papers/2401.12345",
    ),
    "forget": (
        "/papers forget 2401.12345",
        "/papers forget https://arxiv.org/abs/2401.12345",
        "/papers forget 2401.12345",
    ),
    "import": (
        "/papers import",  # with the exported file attached (Slack: mention the bot with `import`)
        '/papers import {"channel": "terminal:lab", "query": "robotics"}',
        '/papers import {"channel": "terminal:lab", "query": "llm", "schedule": "09:00 UTC weekdays"}',
    ),
    "taste": ("/papers taste", "/papers taste reset", "/papers taste reset confirm"),
    "ranking": ("/papers ranking", "/papers ranking upvotes high", "/papers ranking upvotes off"),
    "warmup": ("/papers warmup", "/papers warmup pick 2", "/papers warmup pick 1 3"),
    "club": ("/papers club", "/papers club 3", "/papers club 8 48"),
    "feed": ("/papers feed", "/papers feed for me", "/papers feed reset"),
    "help": ("/papers help", "/papers help subscribe", "/papers help schedule"),
}
