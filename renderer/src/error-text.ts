import { ApiError, type ApiErrorCode } from './api';

/**
 * The words the app uses for a failed request, chosen by its code, never by
 * reading the message. Most codes are about something only the host can name
 * (which folder, which port, which tracker), and the host writes those
 * messages for people, so its message is the sentence. The codes below are
 * about the request itself or about the protocol, where the host's words
 * would not help a person: the app says it its own way.
 */
const OWN_SENTENCES: Partial<Record<ApiErrorCode, string>> = {
  bad_request: 'The app asked the host for something it does not accept. Reload or restart the app; if it keeps happening, please report it.',
  forbidden: 'This window is not allowed to talk to the host.',
  busy: 'The host is busy with other requests. Try again in a moment.',
  unsupported_version: 'Another node runs a protocol version this app cannot speak. Update the older of the two.',
};

/** What to show for a failed action: the app's sentence for its code, else the host's sentence. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return OWN_SENTENCES[err.code] ?? err.message;
  if (err instanceof Error) return `Something went wrong: ${err.message}`;
  return 'Something went wrong.';
}

/** The field (request argument or settings key) a failed request is about, as the host named it. */
export function errorField(err: unknown): string | undefined {
  return err instanceof ApiError ? err.field : undefined;
}
