import type { EventChannel, EventPayload } from '../../shared/ipc/contract.js';
import { errorMessage, type Logger } from '../engine/api.js';

export type EventSink = <E extends EventChannel>(event: E, payload: EventPayload<E>) => void;
export type NoticeLevel = EventPayload<'app:notice'>['level'];

/**
 * The host's pushed events, fanned out to every transport that subscribed
 * (Electron's window, each WebSocket of the headless UI). A failing sink is
 * only logged: one broken transport must not stop the others or the host.
 */
export class HostEvents {
  private readonly sinks = new Set<EventSink>();

  constructor(private readonly logger: Logger) {}

  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (err) {
        this.logger.debug(`event sink failed: ${errorMessage(err)}`);
      }
    }
  }

  /** A message for the person: logged here and shown by the UI. */
  notice(level: NoticeLevel, message: string): void {
    if (level === 'info') this.logger.info(message);
    else this.logger.warn(message);
    this.emit('app:notice', { level, message });
  }

  /** Tells the UI to refetch the network listing it shows. */
  networkChanged(): void {
    this.emit('network:changed', { at: Date.now() });
  }
}
