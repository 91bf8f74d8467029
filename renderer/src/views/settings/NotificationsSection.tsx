import { useState } from 'react';
import { Button } from '../../components/Button';
import { notificationPermission, requestNotificationPermission, type PermissionState } from '../../notifications';
import { Section } from './fields';

const EXPLAIN: Record<PermissionState, string> = {
  default: 'Get a notification from your browser when a download finishes, even while this tab is in the background.',
  granted: 'Your browser will notify you when a download finishes.',
  denied: 'Notifications are blocked for this page. Allow them in your browser’s site settings to be told when downloads finish.',
  unsupported: 'This browser does not support notifications. Finished downloads still show up here.',
};

/** Browser mode only: the desktop app notifies natively. Permission is asked on a click, never on load. */
export function NotificationsSection() {
  const [permission, setPermission] = useState<PermissionState>(notificationPermission);
  return (
    <Section title="Notifications">
      <div className="notify-row">
        <p className="field-help" role="status">
          {EXPLAIN[permission]}
        </p>
        {permission === 'default' && (
          <Button icon="check" onClick={() => void requestNotificationPermission().then(setPermission)}>
            Allow notifications
          </Button>
        )}
      </div>
    </Section>
  );
}
