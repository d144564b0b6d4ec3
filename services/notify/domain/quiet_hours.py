"""Quiet hours (default 22:00-08:00 China time): customer-facing SMS and e-mail due
inside them wait for the end; they are delayed, never dropped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from services.kit.working_days import CHINA_TZ


@dataclass(frozen=True)
class QuietHours:
    start: time = time(22, 0)
    end: time = time(8, 0)

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("quiet hours must not start and end at the same time "
                             "(set both to 00:00 and 00:00 is not allowed; disable instead)")

    def is_quiet(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA_TZ).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """``moment`` itself outside quiet hours, else the end of the quiet period."""
        if not self.is_quiet(moment):
            return moment
        local = moment.astimezone(CHINA_TZ)
        end = datetime.combine(local.date(), self.end, tzinfo=CHINA_TZ)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)
