"""The HTML fragments the control service's HTMX routes (`htmx_routes.py`) answer, at exact sizes.

The HTMX performance lane judges a fragment by its status, its size in bytes and its time to first
byte, so the markup only has to be plausible while the sizes must be exact and predictable: each
fragment is padded to a fixed size (the baseline CSV's, by default) so a test or a fault can reason
in bytes. Everything here is ASCII, so characters and bytes agree. Pure text: no aiohttp, no state.
"""

from __future__ import annotations

import hashlib
import html

# The sizes of the baseline CSV of the reference doc (`probe,size_bytes,ttfb_ms`).
LOGIN_BYTES = 2_200
SETTINGS_BYTES = 1_900
CHAT_SEND_BYTES = 1_700

FEED_ZONES = ("all", "following", "agents", "releases")

_AUTHORS = ("Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Radia")
_TOPICS = (
    "shipped a new runtime worker",
    "published a codex run summary",
    "opened a thread about sync scopes",
    "rolled the web shell to 25%",
    "replied in #release-train",
    "starred openagents/openagents",
)


def _escape(text: str) -> str:
    # xmlcharrefreplace keeps the fragment ASCII whatever the user typed.
    return html.escape(text).encode("ascii", "xmlcharrefreplace").decode("ascii")


def pad_to(markup: str, size: int) -> str:
    """``markup`` followed by whitespace up to ``size`` bytes; never cut, only padded."""
    missing = size - len(markup)
    if missing <= 0:
        return markup
    return markup + "\n" + " " * (missing - 1)


def _csrf_input(seed: str) -> str:
    # An out-of-band swap of the form's CSRF token, as the real fragments carry.
    token = hashlib.sha256(f"csrf:{seed}".encode()).hexdigest()
    return f'<input type="hidden" id="csrf-token" name="_token" value="{token}" hx-swap-oob="true">'


def login_sent(email: str) -> str:
    """The ``login-status`` fragment after a magic link was sent to ``email``."""
    shown = _escape(email)
    markup = (
        '<div id="login-status" class="login-status login-status--sent" role="status" '
        'aria-live="polite">'
        '<svg class="icon icon-mail" viewBox="0 0 24 24" aria-hidden="true" width="20" '
        'height="20"><path d="M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 '
        '0 1 1-1zm1 2.4V17h16V7.4l-7.4 5.2a1 1 0 0 1-1.2 0L4 7.4zM5.6 7l6.4 4.5L18.4 7H5.6z"/>'
        "</svg>"
        '<h2 class="login-status__title">Check your email</h2>'
        f'<p class="login-status__body">We sent a sign-in link to <strong>{shown}</strong>. '
        "It expires in 15 minutes and can be used once.</p>"
        '<p class="login-status__hint">Did not get it? Look in your spam folder, or '
        '<button type="button" class="link" hx-post="/login/email" hx-target="#login-status" '
        'hx-include="#login-form" hx-swap="outerHTML">send another link</button>.</p>'
        '<form id="login-code-form" class="login-code" hx-post="/login/verify" '
        'hx-target="#login-status" hx-swap="outerHTML">'
        '<label for="login-code" class="login-code__label">Or enter the 6-digit code</label>'
        '<input id="login-code" name="code" inputmode="numeric" autocomplete="one-time-code" '
        'pattern="[0-9]{6}" maxlength="6" required>'
        '<button type="submit" class="btn btn-primary">Verify</button>'
        "</form>"
        '<ul class="login-status__providers" aria-label="Other ways to sign in">'
        '<li><a class="btn btn-secondary" href="/login/github" hx-boost="false">'
        "Continue with GitHub</a></li>"
        '<li><a class="btn btn-secondary" href="/login/google" hx-boost="false">'
        "Continue with Google</a></li>"
        '<li><a class="btn btn-secondary" href="/login/sso" hx-boost="false">'
        "Use single sign-on</a></li></ul>"
        '<p class="login-status__legal">By signing in you agree to the '
        '<a href="/terms">Terms of Service</a> and <a href="/privacy">Privacy Policy</a>.</p>'
        f"{_csrf_input(email)}"
        "</div>"
    )
    return pad_to(markup, LOGIN_BYTES)


def login_invalid(email: str) -> str:
    """The small 422 fragment for a missing or malformed e-mail address."""
    return (
        '<div id="login-status" class="login-status login-status--error" role="alert">'
        f"<p>Enter a valid email address{': ' + _escape(email) if email else ''}.</p></div>"
    )


def settings_saved(name: str) -> str:
    """The ``settings-status`` fragment after the profile name was updated."""
    shown = _escape(name)
    markup = (
        '<div id="settings-status" class="settings-status settings-status--ok" role="status" '
        'aria-live="polite">'
        '<svg class="icon icon-check" viewBox="0 0 24 24" aria-hidden="true" width="18" '
        'height="18"><path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4L9 16.2z"/></svg>'
        f'<p class="settings-status__body">Profile saved. You now appear as <strong>{shown}'
        "</strong> across chats, runs and the feed.</p>"
        '<p class="settings-status__hint">Changes to your display name can take a minute to '
        "reach other devices.</p>"
        "</div>"
        '<span id="nav-user-name" class="nav-user__name" hx-swap-oob="true">'
        f"{shown}</span>"
        '<form id="settings-profile-form" class="settings-form" hx-swap-oob="true" '
        'hx-post="/settings/profile/update" hx-target="#settings-status" hx-swap="outerHTML">'
        '<label for="profile-name" class="settings-form__label">Display name</label>'
        f'<input id="profile-name" name="name" value="{shown}" maxlength="80" required '
        'autocomplete="name">'
        '<label for="profile-timezone" class="settings-form__label">Time zone</label>'
        '<select id="profile-timezone" name="timezone"><option value="UTC" selected>UTC'
        '</option><option value="America/Chicago">America/Chicago</option>'
        '<option value="Europe/Berlin">Europe/Berlin</option></select>'
        '<button type="submit" class="btn btn-primary" hx-disabled-elt="this">Save</button>'
        "</form>"
        f"{_csrf_input(name)}"
    )
    return pad_to(markup, SETTINGS_BYTES)


def chat_message(thread_id: str, text: str, message_number: int) -> str:
    """The ``chat-status`` fragment after ``text`` was sent to a thread."""
    shown = _escape(text)
    markup = (
        '<div id="chat-status" class="chat-status" role="status" aria-live="polite">'
        f'<p class="chat-status__body">Message {message_number} sent.</p></div>'
        f'<ol id="chat-messages-{thread_id}" hx-swap-oob="beforeend">'
        f'<li class="chat-message chat-message--user" id="msg-{thread_id}-{message_number}">'
        f'<div class="chat-message__body">{shown}</div>'
        '<time class="chat-message__time" datetime="">just now</time></li>'
        '<li class="chat-message chat-message--assistant chat-message--pending" '
        f'id="msg-{thread_id}-{message_number}-reply" hx-ext="sse" '
        f'sse-connect="/chat/{thread_id}/stream" sse-swap="message">'
        '<div class="chat-message__body"><span class="typing-dots" aria-label="Assistant is '
        'typing"><i></i><i></i><i></i></span></div></li>'
        "</ol>"
        f'<form id="chat-composer" class="chat-composer" hx-swap-oob="true" '
        f'hx-post="/chat/{thread_id}/send" hx-target="#chat-status" hx-swap="outerHTML">'
        '<textarea name="text" rows="2" placeholder="Message the agent" required></textarea>'
        '<button type="submit" class="btn btn-primary" hx-disabled-elt="this">Send</button>'
        "</form>"
        f"{_csrf_input(thread_id)}"
    )
    return pad_to(markup, CHAT_SEND_BYTES)


def _feed_item(number: int, zone: str) -> str:
    author = _AUTHORS[number % len(_AUTHORS)]
    topic = _TOPICS[number % len(_TOPICS)]
    return (
        f'<li class="feed-item" id="feed-item-{number}" data-zone="{zone}">'
        f'<img class="feed-item__avatar" src="/assets/avatars/{author.lower()}.png" alt="" '
        'width="32" height="32" loading="lazy">'
        f'<div class="feed-item__body"><a class="feed-item__author" href="/u/{author.lower()}">'
        f"{author}</a> {topic}."
        f'<time class="feed-item__time" datetime="2026-02-19T14:{number % 60:02d}:00Z">'
        f"{number % 59 + 1} min ago</time></div>"
        f'<button class="feed-item__like" hx-post="/feed/items/{number}/like" '
        f'hx-target="#feed-item-{number}" hx-swap="outerHTML">Like</button></li>'
    )


def feed_main(zone: str, size: int) -> str:
    """The ``feed-main-panel`` fragment: as many feed items as fit in ``size`` bytes, padded."""
    head = (
        f'<section id="feed-main-panel" class="feed-panel" data-zone="{zone}">'
        '<ol class="feed-list">'
    )
    more = (
        '</ol><button class="feed-more" hx-get="/feed/fragments/main?zone='
        f'{zone}&amp;cursor=next" hx-target="#feed-main-panel" hx-swap="beforeend">'
        "Load more</button>"
    )
    tail = "</section>"
    parts = [head]
    length = len(head) + len(more) + len(tail)
    number = 0
    while True:
        item = _feed_item(number, zone)
        if length + len(item) > size:
            break
        parts.append(item)
        length += len(item)
        number += 1
    parts += [more, tail]
    return pad_to("".join(parts), size)
