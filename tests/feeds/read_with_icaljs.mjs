// Reads an iCalendar file from standard input with ical.js (the parser Thunderbird uses) and
// prints, as JSON, what it understood of each event: the UTC instants it computes included.
// Like Thunderbird, it knows only the time zones the file itself defines: a TZID without its
// VTIMEZONE would be read as floating time.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
for (const zone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(new ICAL.Timezone(zone));
}

const utc = (time) => time.toJSDate().toISOString();
const events = calendar.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    summary: event.summary,
    sequence: event.sequence,
    status: component.getFirstPropertyValue("status"),
    dtstamp: utc(component.getFirstPropertyValue("dtstamp")),
    location: event.location,
    start_tzid: event.startDate.zone ? event.startDate.zone.tzid : null,
    start_utc: utc(event.startDate),
    end_utc: utc(event.endDate),
  };
});
process.stdout.write(
  JSON.stringify({
    name: calendar.getFirstPropertyValue("name"),
    method: calendar.getFirstPropertyValue("method"),
    timezones: calendar.getAllSubcomponents("vtimezone").map((z) => z.getFirstPropertyValue("tzid")),
    events,
  }),
);
