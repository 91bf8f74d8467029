/**
 * Browser-mode notifications. Permission is asked only from a button in
 * Settings (a click), never on load; the desktop app notifies from main.
 */

export type PermissionState = NotificationPermission | 'unsupported';

export function notificationPermission(): PermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export async function requestNotificationPermission(): Promise<PermissionState> {
  if (typeof Notification === 'undefined') return 'unsupported';
  try {
    return await Notification.requestPermission();
  } catch {
    return Notification.permission;
  }
}

export function notifyFinished(name: string): void {
  if (notificationPermission() !== 'granted') return;
  try {
    new Notification('Download finished', { body: name, tag: `p2pshare-finished-${name}` });
  } catch {
    // Some browsers only allow notifications from a service worker; the toast is enough.
  }
}
