// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { configure } from '@testing-library/react';

// The pages load lazily (as in Grafana): their first import in a test file compiles a lot
// of @grafana/ui on a 2-core machine, so waiting for what a page shows may take seconds.
configure({ asyncUtilTimeout: 15000 });
