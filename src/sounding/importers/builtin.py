"""The built-in import formats, registered as a plugin like any other (see :mod:`sounding.plugins`)."""

from __future__ import annotations

from sounding.hookspecs import hookimpl


@hookimpl
def register_importers() -> list:
    from sounding.importers.archives import TikTokUserData, XTweetsJs
    from sounding.importers.csv_archives import LinkedInExport, YouTubeTakeout
    from sounding.importers.generic import Csv, JsonLines
    from sounding.importers.mastodon_outbox import MastodonOutbox
    from sounding.importers.meta_archives import FacebookArchive, InstagramArchive, ThreadsArchive
    from sounding.importers.reddit_export import RedditExport
    from sounding.importers.spreadsheet import Sheet

    # specific exports first; Sheet before Csv so a known comment-export header is recognised
    return [
        MastodonOutbox(), RedditExport(), XTweetsJs(), TikTokUserData(), InstagramArchive(), ThreadsArchive(),
        FacebookArchive(), LinkedInExport(), YouTubeTakeout(), Sheet(), JsonLines(), Csv(),
    ]
