// Runs in: the browser (the web console).
import { Component, type ComponentChildren } from 'preact';

interface State {
  error?: Error;
}

/** A view that throws while rendering shows what went wrong instead of leaving the page blank. */
export class ErrorBoundary extends Component<{ children: ComponentChildren }, State> {
  override state: State = {};

  override componentDidCatch(error: Error): void {
    this.setState({ error });
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div class="error" role="alert">
        <strong>This view failed</strong>
        <span>{error.message}</span>
        <button type="button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </div>
    );
  }
}
