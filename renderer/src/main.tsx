import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { startSync } from './sync';
import { applyTheme, rememberedTheme } from './theme';
import './styles/base.css';
import './styles/controls.css';
import './styles/layout.css';
import './styles/network.css';
import './styles/lists.css';
import './styles/settings.css';
import './styles/security.css';

// Paint in the last known theme before the host answers, then let the saved setting take over.
applyTheme(rememberedTheme());
startSync();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
